"""Sign-in through the platform's identity provider (OpenID Connect, authorization code with PKCE).

The console is a confidential client: it sends the person to the provider with a fresh state,
nonce and PKCE verifier (kept in the signed session cookie until the provider sends them back),
exchanges the code for tokens over the back channel, and believes the ID token only after checking
its signature against the provider's published keys, its issuer, audience, expiry and nonce. Roles
come from the ID token's `groups` claim (auth.from_groups)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import DecodeError, JoseError
from joserfc.jwk import KeySet

from dockyard.console.auth import Grants, Person, from_groups

TIMEOUT = 10.0
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")


class SignInFailed(Exception):
    """The provider could not be asked, or what it answered cannot be believed; a plain sentence."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    """The console's /auth/callback as the browser reaches it (registered with the provider)."""


class OpenIdConnect:
    def __init__(self, provider: Provider, http: httpx.Client | None = None) -> None:
        self.provider = provider
        self.http = http or httpx.Client(timeout=TIMEOUT, trust_env=False)
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    def start(self, after: str) -> tuple[str, dict[str, str]]:
        """Where to send the browser, and what the session keeps until it comes back."""
        metadata = self._discovered()
        pending = {
            "state": secrets.token_urlsafe(24),
            "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48),
            "next": after,
        }
        query = {
            "response_type": "code",
            "client_id": self.provider.client_id,
            "redirect_uri": self.provider.redirect_uri,
            "scope": "openid profile email",
            "state": pending["state"],
            "nonce": pending["nonce"],
            "code_challenge": create_s256_code_challenge(pending["verifier"]),
            "code_challenge_method": "S256",
        }
        return f"{metadata['authorization_endpoint']}?{urlencode(query)}", pending

    def finish(self, query: Mapping[str, str], pending: Mapping[str, str], grants: Grants | None = None) -> Person:
        """The person the provider vouches for, from the callback's query and what `start` kept; their
        roles from their groups and what the layers grant (`grants`)."""
        if "error" in query:
            raise SignInFailed(f"the identity provider refused: {query.get('error_description') or query['error']}")
        if not pending or not secrets.compare_digest(query.get("state", ""), pending.get("state", "")):
            raise SignInFailed("this sign-in was not started here or has expired; sign in again")
        code = query.get("code")
        if not code:
            raise SignInFailed("the identity provider sent no authorization code; sign in again")
        metadata = self._discovered()
        client = OAuth2Client(
            self.provider.client_id,
            self.provider.client_secret,
            redirect_uri=self.provider.redirect_uri,
            timeout=TIMEOUT,
            trust_env=False,
        )
        try:
            tokens = client.fetch_token(
                metadata["token_endpoint"],
                code=code,
                code_verifier=pending["verifier"],
                grant_type="authorization_code",
            )
        except Exception as error:  # authlib raises its own and httpx's errors
            raise SignInFailed(f"the identity provider did not exchange the code: {error}") from None
        finally:
            client.close()
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed("the identity provider sent no ID token; the console's client must use OpenID Connect")
        claims = self._verified(id_token, pending["nonce"])
        name = str(claims.get("name") or claims.get("preferred_username") or claims.get("sub"))
        email = str(claims.get("email") or "")
        groups = claims.get("groups") or []
        return from_groups(name, email, groups if isinstance(groups, list) else [], grants)

    def bearer(self, access_token: str, grants: Grants | None = None) -> Person:
        """The person (or automation) an access token of this provider speaks for: for the JSON API,
        without a browser. The token must be meant for the console: issued to its client (`azp`) or
        naming it among its audiences."""
        self._discovered()
        token = self._decoded(access_token, "access token")
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.provider.issuer}, exp={"essential": True}
        )
        try:
            registry.validate(token.claims)
        except JoseError as error:
            raise SignInFailed(f"the access token cannot be believed: {error}") from None
        audience = token.claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if token.claims.get("azp") != self.provider.client_id and self.provider.client_id not in audiences:
            raise SignInFailed(f"the access token is not meant for this console ({self.provider.client_id})")
        claims = token.claims
        name = str(claims.get("name") or claims.get("preferred_username") or claims.get("sub"))
        groups = claims.get("groups") or []
        return from_groups(name, str(claims.get("email") or ""), groups if isinstance(groups, list) else [], grants)

    def _decoded(self, text: str, what: str) -> jwt.Token:
        try:
            return jwt.decode(text, self._key_set(), algorithms=list(ALGORITHMS))
        except DecodeError as error:
            raise SignInFailed(f"the {what} is not a signed token: {error}") from None
        except JoseError:
            self._keys = None  # the provider may have rotated its keys: fetch them once more
            try:
                return jwt.decode(text, self._key_set(), algorithms=list(ALGORITHMS))
            except JoseError as error:
                raise SignInFailed(f"the {what}'s signature does not verify: {error}") from None
        except ValueError as error:  # not a JWT at all
            raise SignInFailed(f"the {what} is not a signed token: {error}") from None

    def _verified(self, id_token: str, nonce: str) -> dict[str, Any]:
        token = self._decoded(id_token, "ID token")
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.provider.issuer},
            aud={"essential": True, "value": self.provider.client_id},
            nonce={"essential": True, "value": nonce},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(token.claims)
        except JoseError as error:
            raise SignInFailed(f"the ID token cannot be believed: {error}") from None
        audience, party = token.claims.get("aud"), token.claims.get("azp")
        if (
            party is not None or (isinstance(audience, list) and len(audience) > 1)
        ) and party != self.provider.client_id:
            raise SignInFailed(f"the ID token was issued to {party!r}, not to this console's client")
        return dict(token.claims)

    def _discovered(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                url = f"{self.provider.issuer.rstrip('/')}/.well-known/openid-configuration"
                metadata = self._get(url)
                if metadata.get("issuer") != self.provider.issuer:
                    raise SignInFailed(
                        f"{url} names issuer {metadata.get('issuer')!r}, not {self.provider.issuer!r}: "
                        "give --oidc-issuer exactly as the provider names itself"
                    )
                self._metadata = metadata
            return self._metadata

    def _key_set(self) -> KeySet:
        with self._lock:
            if self._keys is None:
                assert self._metadata is not None
                self._keys = KeySet.import_key_set(self._get(self._metadata["jwks_uri"]))  # type: ignore[arg-type]
            return self._keys

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = self.http.get(url)
            response.raise_for_status()
            found = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise SignInFailed(f"the identity provider cannot be asked ({url}): {error}") from None
        if not isinstance(found, dict):
            raise SignInFailed(f"{url} did not answer with a JSON object")
        return found
