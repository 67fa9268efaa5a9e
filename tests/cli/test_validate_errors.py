"""Bad input gets one exact line per problem (FILE:LINE:COL: message), exit 1, and nothing else."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import copy_example, replace, run_cli, write

Edit = Callable[[Path], object]


def _bomb(levels: int = 9) -> str:
    lines = ["apiVersion: dockyard.dev/v1alpha1", "kind: Environment", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def _symlink(target: str, link: str) -> Edit:
    def edit(repo: Path) -> None:
        outside = repo.parent / "outside.yaml"
        outside.write_text("openapi: 3.0.3\n")
        (repo / link).unlink()
        os.symlink(outside if target == "outside" else target, repo / link)

    return edit


def _fifo(relative: str) -> Edit:
    def edit(repo: Path) -> None:
        (repo / relative).unlink()
        os.mkfifo(repo / relative)

    return edit


def _symlinked_folder(folder: str) -> Edit:
    """The folder moves out of the repo and a symlink takes its place."""

    def edit(repo: Path) -> None:
        outside = repo.parent / f"outside-{folder}"
        shutil.move(repo / folder, outside)
        os.symlink(outside, repo / folder)

    return edit


def _contract_ref(reference: str, extra: dict[str, str] | None = None) -> Edit:
    """The orders contract's first response refers to `reference`; `extra` files are written beside it."""

    def edit(repo: Path) -> None:
        replace(
            repo, "services/orders/openapi.yaml", '"200": {description: The orders}', f'"200": {{$ref: "{reference}"}}'
        )
        for name, text in (extra or {}).items():
            write(repo, f"services/orders/{name}", text)

    return edit


def _ref_bomb(levels: int) -> str:
    """Each level refers to the next ten times: 10**levels nodes once expanded."""
    lines = [f"a{i}: [" + ", ".join([f"{{$ref: '#/a{i + 1}'}}"] * 10) + "]" for i in range(levels)]
    return "\n".join([*lines, f"a{levels}: {{description: x}}"]) + "\n"


OFFLINE = (
    "  hint: Dockyard resolves only references to files of the platform repo, relative to the file that refers "
    "to them, and never fetches anything; copy the document into the repo and refer to it by path"
)
HEADER = "apiVersion: dockyard.dev/v1alpha1\nkind: Environment\n"
DNS = "must be a DNS-1123 label: at most 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"

CASES: dict[str, tuple[Edit, list[str]]] = {
    "syntax error": (
        lambda r: replace(
            r, "services/web/score.yaml", "image: ghcr.io/dockyard-examples/shop-web:2.3.0", "image: [ghcr.io/x"
        ),
        ["services/web/score.yaml:9:14: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence"],
    ),
    "tab in indentation": (
        lambda r: replace(r, "environments/dev.yaml", "profile: dev-fast", "serviceDefaults:\n\treplicas: 2"),
        [
            "environments/dev.yaml:7:1: tab character in indentation",
            "  hint: YAML indents with spaces only; replace the tab with spaces",
        ],
    ),
    "duplicate key": (
        lambda r: replace(r, "platform.yaml", "profile: dev-fast", "profile: dev-fast\nprofile: full"),
        ["platform.yaml:9:1: duplicate key `profile` (first defined at line 8)", "  hint: remove one of them"],
    ),
    "unknown field with suggestion": (
        lambda r: replace(r, "services/web/dockyard.yaml", "replicas: 2", "replica: 2"),
        ["services/web/dockyard.yaml:4:1: unknown field `replica`", "  hint: did you mean `replicas`?"],
    ),
    "unknown top-level field": (
        lambda r: replace(r, "platform.yaml", "profile: dev-fast", "profil: dev-fast"),
        ["platform.yaml:8:1: unknown field `profil`", "  hint: did you mean `profile`?"],
    ),
    "wrong type": (
        lambda r: replace(r, "services/web/dockyard.yaml", "replicas: 2", "replicas: two"),
        ['services/web/dockyard.yaml:4:11: `replicas` must be an integer, got string "two"'],
    ),
    "enum with suggestion": (
        lambda r: replace(r, "platform.yaml", "profile: dev-fast", "profile: dev-fats"),
        [
            'platform.yaml:8:10: `profile` must be one of dev-fast, full, complete; got string "dev-fats"',
            "  hint: did you mean `dev-fast`?",
        ],
    ),
    "service directory not a DNS label": (
        lambda r: shutil.move(r / "services/worker", r / "services/Worker_1"),
        [
            f"services/Worker_1/score.yaml:1:1: service name `Worker_1` (from the file name) {DNS}",
            "  hint: rename the service's directory",
        ],
    ),
    "metadata.name not a DNS label": (
        lambda r: replace(r, "services/web/score.yaml", "name: web", "name: Web"),
        [f'services/web/score.yaml:5:9: `metadata.name` {DNS}; got string "Web"'],
    ),
    "environment file name not a DNS label": (
        lambda r: shutil.move(r / "environments/dev.yaml", r / "environments/Dev.yaml"),
        [
            "clusters/local.yaml:5:14: cluster `local` names environment `dev`, which does not exist "
            "(no environments/dev.yaml)",
            "  hint: did you mean `Dev`?",
            f"environments/Dev.yaml:1:1: environment name `Dev` (from the file name) {DNS}",
            "  hint: rename the file",
        ],
    ),
    "port out of range": (
        lambda r: replace(r, "services/web/score.yaml", "port: 80\n", "port: 70000\n"),
        ["services/web/score.yaml:33:13: `service.ports.http.port` is 70000, out of range 1-65535"],
    ),
    "dependency on a missing service": (
        lambda r: replace(
            r, "services/payments/score.yaml", "  orders:\n    type: service", "  order:\n    type: service"
        ),
        [
            "services/payments/score.yaml:35:3: depends on service `order`, which does not exist "
            "(no services/order/score.yaml)",
            "  hint: did you mean `orders`?",
        ],
    ),
    "dependency named in params": (
        lambda r: replace(
            r,
            "services/web/score.yaml",
            "  orders:\n    type: service",
            "  orders:\n    type: service\n    params:\n      name: ordrs",
        ),
        [
            "services/web/score.yaml:45:13: depends on service `ordrs`, which does not exist "
            "(no services/ordrs/score.yaml)",
            "  hint: did you mean `orders`?",
        ],
    ),
    "cluster names an unknown environment": (
        lambda r: replace(r, "clusters/prod-eu.yaml", "environment: prod", "environment: production"),
        [
            "clusters/prod-eu.yaml:5:14: cluster `prod-eu` names environment `production`, which does not exist "
            "(no environments/production.yaml)",
            "  hint: known environments: dev, prod",
        ],
    ),
    "override for an unknown environment": (
        lambda r: shutil.move(r / "services/orders/overrides/prod.yaml", r / "services/orders/overrides/staging.yaml"),
        [
            "services/orders/overrides/staging.yaml:3:1: override of `orders` names environment `staging`, which does "
            "not exist (no environments/staging.yaml)",
            "  hint: known environments: dev, prod",
        ],
    ),
    "contract escapes the repo": (
        lambda r: replace(
            r, "services/orders/dockyard.yaml", "contract: openapi.yaml", "contract: ../../../outside.yaml"
        ),
        [
            "services/orders/dockyard.yaml:4:11: `../../../outside.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
        ],
    ),
    "contract escapes through a symlink": (
        _symlink("outside", "services/orders/openapi.yaml"),
        [
            "services/orders/dockyard.yaml:4:11: `openapi.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
        ],
    ),
    "contract does not exist": (
        lambda r: replace(r, "services/orders/dockyard.yaml", "contract: openapi.yaml", "contract: openapi.yml"),
        [
            "services/orders/dockyard.yaml:4:11: `openapi.yml` does not exist (looked for services/orders/openapi.yml)",
            "  hint: did you mean `openapi.yaml`?",
        ],
    ),
    "file source is absolute": (
        lambda r: replace(r, "services/web/score.yaml", "source: nginx.conf", "source: /etc/passwd"),
        [
            "services/web/score.yaml:14:17: `/etc/passwd` is an absolute path",
            "  hint: give a path relative to the service's directory",
        ],
    ),
    "file source escapes the repo": (
        lambda r: replace(r, "services/web/score.yaml", "source: nginx.conf", "source: ../../../outside.yaml"),
        [
            "services/web/score.yaml:14:17: `../../../outside.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
        ],
    ),
    "score.yaml is a symlink out of the repo": (
        _symlink("outside", "services/web/score.yaml"),
        [
            "services/web/score.yaml:1:1: `services/web/score.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
        ],
    ),
    "alias bomb": (
        lambda r: write(r, "environments/dev.yaml", _bomb()),
        [
            "environments/dev.yaml:3:31: document expands to more than 100,000 nodes",
            "  hint: YAML aliases (*name) that repeat large anchors multiply the size; write the values out",
        ],
    ),
    "absurd nesting": (
        lambda r: write(r, "environments/dev.yaml", HEADER + "x: " + "[" * 10000 + "]" * 10000 + "\n"),
        ["environments/dev.yaml:3:68: nesting is too deep; Dockyard reads at most 64 levels"],
    ),
    "absurd dash nesting": (
        lambda r: write(r, "environments/dev.yaml", HEADER + "x:\n" + "- " * 100000 + "y\n"),
        ["environments/dev.yaml:4:129: nesting is too deep; Dockyard reads at most 64 levels"],
    ),
    "absurd size": (
        lambda r: write(r, "environments/dev.yaml", HEADER + "# padding\n" * 200_000),
        [
            "environments/dev.yaml:1:1: file is 2,000,052 bytes; Dockyard reads files of at most 1,048,576 bytes",
            "  hint: split large values into separate files, or check that this is the file you meant",
        ],
    ),
    "bytes that are not UTF-8": (
        lambda r: write(r, "environments/dev.yaml", HEADER.encode() + b"domain: caf\xe9.example.com\n"),
        ["environments/dev.yaml:3:12: not valid UTF-8 (byte 0xe9)", "  hint: save the file as UTF-8"],
    ),
    "wrong Score apiVersion": (
        lambda r: replace(r, "services/web/score.yaml", "apiVersion: score.dev/v1b1", "apiVersion: score.dev/v1"),
        [
            "services/web/score.yaml:3:13: unsupported Score apiVersion `score.dev/v1`",
            "  hint: Dockyard reads Score workloads with `apiVersion: score.dev/v1b1`",
        ],
    ),
    "unknown resource type": (
        lambda r: replace(r, "services/worker/score.yaml", "type: redis", "type: rediss"),
        [
            "services/worker/score.yaml:34:11: unknown resource type `rediss`",
            "  hint: did you mean `redis`? Or a platform adds a type of its own as provisioners/rediss.yaml",
        ],
    ),
    "a port name longer than Kubernetes allows": (
        lambda r: replace(
            r, "services/web/score.yaml", "    http:\n      port: 80\n", "    http-frontend-public:\n      port: 80\n"
        ),
        [
            "services/web/score.yaml:32:5: name `http-frontend-public` in `service.ports` is longer than 15 characters",
            "  hint: Kubernetes limits port names to 15",
        ],
    ),
    "a one-character container name (Score's names have 2 to 63)": (
        lambda r: replace(r, "services/worker/score.yaml", "  worker:\n    image:", "  w:\n    image:"),
        [
            "services/worker/score.yaml:7:3: name `w` in `containers` is shorter than 2 characters",
            "  hint: Score's names have 2 to 63 characters",
        ],
    ),
    "an `=` in a variable's name": (
        lambda r: replace(r, "services/worker/score.yaml", "      REDIS_HOST:", "      REDIS=HOST:"),
        [
            "services/worker/score.yaml:12:7: name `REDIS=HOST` in `containers.worker.variables`: "
            "a variable's name has no `=`"
        ],
    ),
    "missing required field": (
        lambda r: replace(r, "services/web/score.yaml", "    image: ghcr.io/dockyard-examples/shop-web:2.3.0\n", ""),
        ["services/web/score.yaml:7:3: missing required field `image` in `containers.web`"],
    ),
    "empty file": (
        lambda r: write(r, "environments/dev.yaml", ""),
        ["environments/dev.yaml:1:1: expected a mapping at the top of the file, got an empty file"],
    ),
    "wrong kind": (
        lambda r: replace(r, "environments/dev.yaml", "kind: Environment", "kind: Cluster"),
        ['environments/dev.yaml:4:7: `kind` must be `Environment`, got string "Cluster"'],
    ),
    "bad CPU quantity": (
        lambda r: replace(r, "platform.yaml", "cpu: 50m", "cpu: lots"),
        [
            "platform.yaml:14:12: `serviceDefaults.resources.requests.cpu` must be a CPU quantity such as 250m, "
            '0.5 or 2; got string "lots"'
        ],
    ),
    "a .yml file": (
        lambda r: write(r, "environments/qa.yml", "x: 1\n"),
        ["environments/qa.yml:1:1: Dockyard reads `.yaml` files only", "  hint: rename it to qa.yaml"],
    ),
    "metadata.name differs from the directory": (
        lambda r: replace(r, "services/web/score.yaml", "name: web", "name: webshop"),
        [
            "services/web/score.yaml:5:9: metadata.name `webshop` does not match the service's directory `web`",
            "  hint: rename one of them; the directory is services/web/",
        ],
    ),
    "two ports published on one number": (
        lambda r: replace(
            r, "services/orders/score.yaml", "    metrics:\n      port: 9090", "    metrics:\n      port: 80"
        ),
        [
            "services/orders/score.yaml:36:13: port `metrics` is published on 80/TCP like port `http`: a Service's "
            "ports must differ",
            "  hint: publish one of them on another number (`port`; the container's stays in `targetPort`)",
        ],
    ),
    "a metrics port named in a layer that names no port": (
        lambda r: replace(
            r,
            "services/orders/overrides/prod.yaml",
            "replicas: 3\n",
            "replicas: 3\nmetrics:\n  port: admin\n",
        ),
        [
            "services/orders/score.yaml:32:5: the layers name `admin` as the metrics port (metrics.port), but the "
            "service has no port of that name (ports: http, metrics): name one of its ports there, or give it that "
            "port"
        ],
    ),
    "a service depends on itself": (
        lambda r: replace(r, "services/orders/score.yaml", "  api:\n    type: api", "  orders:\n    type: service"),
        ["services/orders/score.yaml:40:3: service `orders` depends on itself"],
    ),
    "services/ is a symlink out of the repo": (
        _symlinked_folder("services"),
        [
            "services/orders/dockyard.yaml:1:1: `services/orders/dockyard.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
            "services/orders/overrides/prod.yaml:1:1: `services/orders/overrides/prod.yaml` resolves outside the "
            "platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
            "services/orders/score.yaml:1:1: `services/orders/score.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
            "services/payments/score.yaml:1:1: `services/payments/score.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
            "services/web/dockyard.yaml:1:1: `services/web/dockyard.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
            "services/web/score.yaml:1:1: `services/web/score.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
            "services/worker/score.yaml:1:1: `services/worker/score.yaml` resolves outside the platform repo",
            "  hint: files must live inside the repo; replace the symlink or `..` path with a real file",
        ],
    ),
    "a named pipe where a layer is expected": (
        _fifo("environments/dev.yaml"),
        ["environments/dev.yaml:1:1: file is a named pipe (FIFO), not a regular file"],
    ),
    "a named pipe as the contract": (
        _fifo("services/orders/openapi.yaml"),
        ["services/orders/dockyard.yaml:4:11: `openapi.yaml` is a named pipe (FIFO), not a regular file"],
    ),
    "a huge sparse file as a file source": (
        lambda r: os.truncate(write(r, "services/web/nginx.conf", ""), 1_100_000_000),
        [
            "services/web/score.yaml:14:17: `nginx.conf` is 1,100,000,000 bytes; Dockyard reads files of at most "
            "1,048,576 bytes",
            "  hint: split large values into separate files, or check that this is the file you meant",
        ],
    ),
    "a symlink loop as a file source": (
        lambda r: (
            (r / "services/web/nginx.conf").unlink(),
            os.symlink("loop-b", r / "services/web/nginx.conf"),
            os.symlink("nginx.conf", r / "services/web/loop-b"),
        ),
        ["services/web/score.yaml:14:17: `nginx.conf` is a symbolic link loop"],
    ),
    "an integer tag on text": (
        lambda r: replace(r, "services/web/dockyard.yaml", "replicas: 2", 'replicas: !!int "two"'),
        [
            "services/web/dockyard.yaml:4:11: `two` is not an integer",
            "  hint: quote it to make it text, or write a plain value",
        ],
    ),
    "contract $ref to a URL": (
        _contract_ref("https://169.254.169.254/latest/meta-data/"),
        ["services/orders/openapi.yaml:28:23: `$ref` `https://169.254.169.254/latest/meta-data/` is a URL", OFFLINE],
    ),
    "contract $ref to a file URL": (
        _contract_ref("file:///proc/self/environ"),
        ["services/orders/openapi.yaml:28:23: `$ref` `file:///proc/self/environ` is a URL", OFFLINE],
    ),
    "contract $ref to an absolute path": (
        _contract_ref("/etc/passwd"),
        ["services/orders/openapi.yaml:28:23: `$ref` `/etc/passwd` is an absolute path", OFFLINE],
    ),
    "contract $ref out of the repo": (
        _contract_ref("../../../secrets.yaml#/token"),
        [
            "services/orders/openapi.yaml:28:23: `$ref` `../../../secrets.yaml#/token` leads out of the platform repo",
            OFFLINE,
        ],
    ),
    "contract $ref to a missing file": (
        _contract_ref("responses.yml#/Orders", {"responses.yaml": "Orders: {description: The orders}\n"}),
        [
            "services/orders/openapi.yaml:28:23: `responses.yml` does not exist "
            "(looked for services/orders/responses.yml)",
            "  hint: did you mean `responses.yaml`?",
        ],
    ),
    "contract $ref that names nothing": (
        _contract_ref("responses.yaml#/Order", {"responses.yaml": "Orders: {description: The orders}\n"}),
        [
            "services/orders/openapi.yaml:28:23: `$ref` `responses.yaml#/Order` names nothing: "
            "services/orders/responses.yaml has no `#/Order`"
        ],
    ),
    "contract $ref dangling inside the document": (
        _contract_ref("#/components/responses/Orders"),
        [
            "services/orders/openapi.yaml:28:23: `$ref` `#/components/responses/Orders` names nothing: "
            "services/orders/openapi.yaml has no `#/components/responses/Orders`"
        ],
    ),
    "contract $ref fan-out bomb": (
        _contract_ref("bomb.yaml#/a0", {"bomb.yaml": _ref_bomb(8)}),
        [
            "services/orders/openapi.yaml:1:1: the contract's `$ref`s expand it to more than 2,000,000 nodes",
            "  hint: references that repeat large parts many times over multiply the size; refer to shared parts once",
        ],
    ),
    "a Swagger 2.0 contract": (
        lambda r: write(
            r, "services/orders/openapi.yaml", 'swagger: "2.0"\ninfo: {title: Orders, version: "1"}\npaths: {}\n'
        ),
        [
            "services/orders/openapi.yaml:1:10: this is a Swagger 2.0 document; Dockyard reads OpenAPI 3.0 and 3.1",
            "  hint: convert it to OpenAPI 3 (for example with swagger2openapi) and commit the result",
        ],
    ),
    "openapi written as a number": (
        lambda r: replace(r, "services/orders/openapi.yaml", "openapi: 3.0.3", "openapi: 3.1"),
        [
            'services/orders/openapi.yaml:1:10: `openapi` must be text such as "3.1.0", but it is the number 3.1',
            '  hint: quote it: openapi: "3.1"',
        ],
    ),
    "an escape sequence in a key": (
        lambda r: replace(r, "platform.yaml", "profile: dev-fast", 'profile: dev-fast\n"\\e[2J\\e[H": 1'),
        [
            "platform.yaml:9:1: unknown field `\\x1b[2J\\x1b[H`",
            "  hint: known fields: apiVersion, certificates, checks, components, console, dockyard, domain, gateway, "
            "identity, imagePolicy, kind, name, notifications, platformAdmins, postgres, profile, serviceDefaults, "
            "sync, teams",
        ],
    ),
    "a newline in a key forging an error line": (
        lambda r: replace(r, "platform.yaml", "profile: dev-fast", 'profile: dev-fast\n"x\\nplatform.yaml:1:1: ok": 1'),
        [
            "platform.yaml:9:1: unknown field `x\\nplatform.yaml:1:1: ok`",
            "  hint: known fields: apiVersion, certificates, checks, components, console, dockyard, domain, gateway, "
            "identity, imagePolicy, kind, name, notifications, platformAdmins, postgres, profile, serviceDefaults, "
            "sync, teams",
        ],
    ),
    "a lone surrogate": (
        lambda r: replace(r, "platform.yaml", "name: shop", 'name: "sh\\ud800op"'),
        ["platform.yaml:6:12: text with a lone surrogate escape (\\ud800-\\udfff), which is not a Unicode character"],
    ),
    "YAML tag": (
        lambda r: replace(r, "platform.yaml", "name: shop", "name: !!binary c2hvcA=="),
        [
            "platform.yaml:6:7: unsupported YAML tag `tag:yaml.org,2002:binary`",
            "  hint: remove the tag; Dockyard reads plain values",
        ],
    ),
    "a YAML tag on a collection": (
        lambda r: replace(r, "services/orders/score.yaml", '    args: ["--listen", ":8080"]', "    args: !!set {a, b}"),
        [
            "services/orders/score.yaml:9:11: unsupported YAML tag `tag:yaml.org,2002:set` on a mapping",
            "  hint: remove the tag; Dockyard reads plain values",
        ],
    ),
    "a null that removes the profile": (
        lambda r: replace(r, "environments/dev.yaml", "profile: dev-fast", "profile: null"),
        [
            "environments/dev.yaml:6:10: `profile` is removed here, and every cluster needs one",
            "  hint: delete this line to keep the value of a more general layer, or set a `profile` here",
        ],
    ),
    "an image that is no reference": (
        lambda r: replace(r, "services/orders/score.yaml", "dockyard-examples/orders:1.4.2", "Dockyard/orders:1.4.2"),
        [
            "services/orders/score.yaml:8:12: `containers.api.image` must be an image reference such as "
            "registry.example.org/team/app:1.2.3 (lower-case repository path, an optional tag and digest), or `.` "
            'to supply it at deploy time; got string "ghcr.io/Dockyard/orders:1.4.2"',
        ],
    ),
    "a probe path that is no URL path": (
        lambda r: replace(r, "services/orders/score.yaml", "path: /livez", "path: livez"),
        [
            "services/orders/score.yaml:24:15: `containers.api.livenessProbe.httpGet.path` must be a URL path "
            'starting with / (visible ASCII, no spaces; percent-encode the rest); got string "livez"',
        ],
    ),
    "a file target that climbs out": (
        lambda r: replace(r, "services/web/score.yaml", "/etc/nginx/conf.d/default.conf", "/etc/nginx/../../proc/x"),
        [
            "services/web/score.yaml:13:17: `containers.web.files[0].target` must be an absolute path in the "
            'container, without `.` or `..` parts; got string "/etc/nginx/../../proc/x"',
        ],
    ),
    "contract paths that are a list": (
        lambda r: replace(r, "services/orders/openapi.yaml", "paths:", "paths: []\nx-old-paths:"),
        ["services/orders/openapi.yaml:17:8: `paths` must be a mapping, but it is the list []"],
    ),
    "a Kubernetes version without schemas": (
        lambda r: replace(r, "clusters/local.yaml", 'version: "1.36"', 'version: "1.2"'),
        [
            "clusters/local.yaml:7:12: no Kubernetes schemas for version 1.2; known: 1.25, 1.26, 1.27, 1.28, 1.29, "
            "1.30, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37",
            "  hint: set the minor version the cluster runs; checks need its schemas",
        ],
    ),
    "a secrets file whose sops section is not whole": (
        lambda r: write(
            r, "secrets/platform.yaml", "token: ENC[AES256_GCM,data:abc,iv:a,tag:a,type:str]\nsops: {a: 1}\n"
        ),
        [
            line
            for what in ("`lastmodified`", "`mac`", "recipient (age, pgp, kms, ...)")
            for line in (
                f"secrets/platform.yaml:2:1: the `sops:` section has no {what}: not a file sops or Dockyard wrote",
                "  hint: take the file back from version control, or write it again with `dockyard secrets set`",
            )
        ],
    ),
    "a NUL in a file name": (
        lambda r: replace(r, "services/orders/dockyard.yaml", "contract: openapi.yaml", 'contract: "open\\0api.yaml"'),
        ["services/orders/dockyard.yaml:4:11: `open\\x00api.yaml` is not a path: it holds a NUL character"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_reported_exactly(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit, expected = CASES[case]
    repo = copy_example(tmp_path)
    edit(repo)
    result = run_cli(capsys, "validate", str(repo))
    count = sum(1 for line in expected if not line.startswith("  "))
    summary = f"{count} problem{'s' if count != 1 else ''} found; nothing was changed"
    assert result.err.splitlines() == [*expected, summary]
    assert result.code == 1
    assert result.out == ""
    assert "Traceback" not in result.err


def test_every_problem_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "services/web/dockyard.yaml", "replicas: 2", "replica: 2")
    replace(repo, "clusters/prod-eu.yaml", "environment: prod", "environment: production")
    replace(repo, "platform.yaml", "profile: dev-fast", "profile: fast")
    result = run_cli(capsys, "validate", str(repo))
    problem_lines = [line for line in result.err.splitlines() if not line.startswith("  ")]
    assert problem_lines == [
        "clusters/prod-eu.yaml:5:14: cluster `prod-eu` names environment `production`, which does not exist "
        "(no environments/production.yaml)",
        'platform.yaml:8:10: `profile` must be one of dev-fast, full, complete; got string "fast"',
        "services/web/dockyard.yaml:4:1: unknown field `replica`",
        "3 problems found; nothing was changed",
    ]
    assert result.code == 1


def test_alias_bomb_fails_fast_in_small_memory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import resource

    repo = copy_example(tmp_path)
    write(repo, "environments/dev.yaml", _bomb(levels=30))  # 10**31 nodes if expanded
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run_cli(capsys, "validate", str(repo))
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert result.code == 1
    assert "document expands to more than 100,000 nodes" in result.err
    assert grown_kib < 200_000


def test_odd_but_valid_yaml_is_read_as_yaml_means_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "services/web/dockyard.yaml", "replicas: 2", "replicas: 0b11")
    write(repo, "environments/dev.yaml", "%YAML 1.1\n---\n" + (repo / "environments/dev.yaml").read_text())
    assert run_cli(capsys, "validate", str(repo)).code == 0
    explained = run_cli(capsys, "explain", "services.web.replicas", "-c", "local", str(repo))
    assert explained.out.splitlines()[0] == "services.web.replicas = 3"


def test_a_contract_split_over_files_is_read_from_the_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_example(tmp_path)
    replace(
        repo,
        "services/orders/openapi.yaml",
        '"200": {description: The orders}',
        '"200": {$ref: "parts/r.yaml#/Orders"}',
    )
    write(repo, "services/orders/parts/r.yaml", "Orders: {$ref: '../shared.yaml#/components/responses/List'}\n")
    write(repo, "services/orders/shared.yaml", "components: {responses: {List: {description: The orders}}}\n")
    result = run_cli(capsys, "validate", str(repo))
    assert (result.code, result.err) == (0, "")


def test_layers_that_contradict_each_other_are_an_error_naming_every_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each file is valid alone; merged, the API server would refuse what they make (after part of
    the platform was applied). validate names the most specific line and where the other was set,
    once for every service a shared default breaks; explain still answers, so people can see how
    the layers met."""
    repo = copy_example(tmp_path)
    replace(repo, "clusters/prod-eu.yaml", "maxReplicas: 10", "maxReplicas: 3")
    replace(repo, "services/orders/overrides/prod.yaml", "minReplicas: 3", "minReplicas: 4")
    replace(repo, "environments/prod.yaml", "  replicas: 2\n", "  replicas: 2\n  rollout:\n    maxSurge: 0\n")
    replace(
        repo,
        "services/orders/dockyard.yaml",
        "kind: ServiceSettings\n",
        "kind: ServiceSettings\ndisruptionBudget:\n  maxUnavailable: 1\nresources:\n  limits:\n    memory: 100Mi\n",
    )
    result = run_cli(capsys, "validate", str(repo))
    assert result.err.splitlines() == [
        "environments/prod.yaml:9:15: services `orders`, `payments`, `web`, `worker`: rollout.maxSurge "
        "(environments/prod.yaml:9:15) and rollout.maxUnavailable (built-in default) are both 0: a rolling update "
        "could never replace a pod",
        "  hint: let one of them be above 0",
        "services/orders/dockyard.yaml:5:19: service `orders`: disruptionBudget has both minAvailable "
        "(environments/prod.yaml:11:19) and maxUnavailable (services/orders/dockyard.yaml:5:19); a PodDisruptionBudget "
        "takes one",
        "  hint: set the one you do not want to null in the more specific layer",
        "services/orders/dockyard.yaml:8:13: service `orders`: resources.requests.memory 128Mi "
        "(environments/prod.yaml:15:15) is more than resources.limits.memory 100Mi "
        "(services/orders/dockyard.yaml:8:13)",
        "  hint: a container may not ask for more than its limit: raise the limit or lower the request",
        "services/orders/overrides/prod.yaml:8:16: service `orders`: autoscaling.minReplicas 4 "
        "(services/orders/overrides/prod.yaml:8:16) is larger than autoscaling.maxReplicas 3 "
        "(clusters/prod-eu.yaml:12:18)",
        "  hint: raise maxReplicas or lower minReplicas in the more specific layer",
        "4 problems found; nothing was changed",
    ]
    assert result.code == 1
    explained = run_cli(capsys, "explain", "services.orders.autoscaling.maxReplicas", str(repo), "-c", "prod-eu")
    assert explained.code == 0, explained.err
    assert explained.out.splitlines()[0] == "services.orders.autoscaling.maxReplicas = 3"


def test_an_image_supplied_at_deploy_time_comes_from_a_layer_or_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Score's `image: .`: the layers (`images` in dockyard.yaml) or --image supply it, the command line
    winning; a container left without one, or an image for a container that does not exist, is an
    error at its line; a malformed or unknown --image is a usage error."""
    repo = copy_example(tmp_path)
    replace(repo, "services/web/score.yaml", "image: ghcr.io/dockyard-examples/shop-web:2.3.0", "image: .")
    missing = run_cli(capsys, "validate", str(repo))
    assert missing.err.splitlines() == [
        "services/web/score.yaml:8:12: container `web` has `image: .`, and no image was supplied for it",
        "  hint: set images.web in services/web/dockyard.yaml (or in overrides/<env>.yaml) or pass --image "
        "web=<image> (or web.web=<image>)",
        "1 problem found; nothing was changed",
    ]
    assert run_cli(capsys, "validate", str(repo), "--image", "web=ghcr.io/example/web:9").code == 0
    write(
        repo,
        "services/web/overrides/dev.yaml",
        "apiVersion: dockyard.dev/v1alpha2\nkind: ServiceOverride\nimages:\n  web: ghcr.io/example/web:dev\n",
    )
    rendered = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
    assert "image: ghcr.io/example/web:dev" in rendered.out
    given = run_cli(
        capsys, "render", str(repo), "-c", "local", "--only", "services", "--image", "web.web=ghcr.io/example/web:10"
    )
    assert "image: ghcr.io/example/web:10" in given.out and "web:dev" not in given.out
    replace(
        repo,
        "services/web/overrides/dev.yaml",
        "  web: ghcr.io/example/web:dev\n",
        "  web: ghcr.io/example/web:dev\n  sidecar: x\n",
    )
    unknown = run_cli(capsys, "validate", str(repo), "-c", "local")
    assert unknown.err.splitlines()[:2] == [
        "services/web/overrides/dev.yaml:5:12: service `web` has no container `sidecar` to give an image",
        "  hint: containers: web",
    ]
    for option, message in (
        ("web", "error: --image `web`: write SERVICE=IMAGE or SERVICE.CONTAINER=IMAGE"),
        ("nope=x", "error: --image `nope`: no service `nope` (services: orders, payments, web, worker)"),
        ("web.nope=x", "error: --image `web.nope`: service `web` has no container `nope`"),
    ):
        refused = run_cli(capsys, "validate", str(repo), "--image", option)
        assert (refused.code, refused.err.strip()) == (2, message)


FILE = '      - target: /etc/nginx/conf.d/default.conf\n        source: nginx.conf\n        mode: "0644"\n'


def test_files_binary_content_and_keys_that_would_collide(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Score's binaryContent becomes ConfigMap binaryData; two targets whose ConfigMap keys would be
    the same both stay (one was dropped silently); a file has exactly one of its three sources."""
    import yaml

    repo = copy_example(tmp_path)
    more = "      - target: /srv/logo.png\n        binaryContent: iVBORw0KGgo=\n"
    more += "      - target: /srv/a b\n        content: one\n      - target: /srv/a_b\n        content: two\n"
    replace(repo, "services/web/score.yaml", FILE, FILE + more)
    result = run_cli(capsys, "render", str(repo), "-c", "local", "--only", "services")
    assert result.code == 0, result.err
    (files,) = [d for d in yaml.safe_load_all(result.out) if d and d["metadata"]["name"] == "web-files"]
    assert files["binaryData"] == {"web_srv_logo.png": "iVBORw0KGgo="}
    assert sorted(v for k, v in files["data"].items() if k.startswith("web_srv_a")) == ["one", "two"]
    replace(repo, "services/web/score.yaml", more, "")
    bad = '      - target: /srv/logo.png\n        binaryContent: "not base64!"\n'
    bad += "      - target: /srv/x\n        content: one\n        source: nginx.conf\n"
    replace(repo, "services/web/score.yaml", FILE, FILE + bad)
    refused = run_cli(capsys, "validate", str(repo))
    assert refused.err.splitlines() == [
        "services/web/score.yaml:17:24: binaryContent must be base64 (RFC 4648, with padding)",
        "services/web/score.yaml:18:9: a file needs exactly one of `content`, `binaryContent` or `source` (it has "
        "`content` and `source`)",
        "2 problems found; nothing was changed",
    ]


BROKEN_PAYMENTS = ("services/payments/score.yaml", "containers:\n", "containers:\n  extra:\n    image: 5\n")
WEB_PLACEHOLDER = ("services/web/score.yaml", "${resources.orders.url}", "${resources.nothing.url}")
PAYMENTS_ERROR = "services/payments/score.yaml:8:12: `containers.extra.image` must be a string, got number `5`"


def test_a_broken_service_is_reported_at_its_own_lines_not_by_its_callers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    replace(repo, "services/orders/score.yaml", "containers:\n", "containers:\n  extra:\n    image: 5\n")
    result = run_cli(capsys, "validate", str(repo))
    assert (result.code, result.err) == (
        1,
        "services/orders/score.yaml:8:12: `containers.extra.image` must be a string, got number `5`\n"
        "1 problem found; nothing was changed\n",
    )


def test_render_problems_of_the_other_services_come_with_the_load_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    replace(repo, *BROKEN_PAYMENTS)
    replace(repo, *WEB_PLACEHOLDER)
    result = run_cli(capsys, "validate", str(repo))
    assert (result.code, result.err) == (
        1,
        f"{PAYMENTS_ERROR}\nservices/web/score.yaml:10:19: `${{resources.nothing.url}}`: no resource `nothing` in "
        "this workload (resources: orders, public)\n2 problems found; nothing was changed\n",
    )


def test_a_problem_in_a_layer_stops_before_rendering(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A layer every service reads is broken: rendering any service would report what it causes."""
    repo = copy_example(tmp_path)
    replace(repo, *BROKEN_PAYMENTS)
    replace(repo, *WEB_PLACEHOLDER)
    replace(repo, "environments/dev.yaml", "profile: dev-fast\n", "profile: dev-fast\nreplicas: many\n")
    result = run_cli(capsys, "validate", str(repo))
    assert result.code == 1
    assert PAYMENTS_ERROR in result.err and "environments/dev.yaml" in result.err
    assert "services/web" not in result.err


def test_an_owner_with_a_control_character_is_refused_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_example(tmp_path)
    with (repo / "services" / "orders" / "dockyard.yaml").open("a") as settings:
        settings.write('owner: "orders\\x1b[2J"\n')
    result = run_cli(capsys, "validate", str(repo))
    assert result.code == 1
    assert result.err.splitlines()[0].startswith("services/orders/dockyard.yaml:7:8: ")
