"""`dockyard authentication`: what a cluster's API server needs to sign people in with the
platform's SSO, so the teams' RoleBindings (which name SSO groups) apply to real people."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml

from dockyard import actions
from dockyard.cli.shared import RepoArg, err
from dockyard.errors import UsageError
from dockyard.localcluster.authentication import api_version, configuration
from dockyard.render.components.component import installs
from dockyard.render.components.identity import api_server_authenticator, sign_in_groups
from dockyard.render.platform_names import keycloak_issuer


def authentication(
    cluster: Annotated[str, typer.Option("--cluster", "-c", help="The cluster whose API server signs people in.")],
    repo: RepoArg = Path("."),
) -> None:
    """Print the AuthenticationConfiguration (apiserver.config.k8s.io/v1) that lets the cluster's
    API server sign people in with the platform's Keycloak (kubectl with kubelogin, client
    `kubernetes`); pass it to the API server with --authentication-config."""
    loaded = actions.load_repo(repo, err.print)
    platform = actions.platform_for(loaded, cluster)
    if not installs(platform, "keycloak", "sso"):
        raise UsageError(
            f"cluster {cluster} does not install Keycloak (profile {platform.profile}): there is no sign-in "
            "to trust; use a profile with `sso`, or switch the component `keycloak` on"
        )
    if not sign_in_groups(platform):
        err.print(
            f"warning: no layer of cluster {cluster} names a group (`teams.<name>.editors`, `viewers`, "
            "`platformAdmins`): people can sign in, but no RoleBinding grants them anything"
        )
    kubernetes = platform.cluster.kubernetes_version
    version = api_version(kubernetes)
    if version is None:
        raise UsageError(
            f"cluster {cluster} runs Kubernetes {kubernetes}; an AuthenticationConfiguration with these claims "
            "needs 1.30 or later: give its API server the --oidc-* flags for the same issuer instead"
        )
    issuer = keycloak_issuer(platform.domain, platform.name)
    document = configuration([api_server_authenticator(issuer)], version)
    sys.stdout.write(yaml.safe_dump(document, sort_keys=False))
