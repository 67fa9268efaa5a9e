"""The hostile-input corpus: broken and malicious platform repos, generated (nothing large is
stored), each a change to the base repo (tests/hostile/base.py) and a command to run on it.

Every case is held to the same invariants (test_hostile.py): a clean exit (0, 1 or 2; never a
traceback or an internal error), an error placed at FILE:LINE:COL of a real file when the command
fails, no file read or written outside the repo and the output directory, no connection, no
canary value in any output, no raw control character on the terminal, within a time bound. A case
marked `refused` must also fail: the input is wrong and accepting it silently would be a defect.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tests.hostile.base import CLUSTER, CONTRACT, ENVIRONMENT, FILES, PLATFORM, POLICY, PROVISIONER, SCORE, SETTINGS

CANARY = "canary-outside-7f3c9a"
"""The content of the file outside the repo (and of an environment variable): never printed."""


@dataclass(frozen=True)
class Fifo:
    """A named pipe where a file is expected (a read would block for ever)."""


@dataclass(frozen=True)
class Directory:
    """A directory where a file is expected."""


@dataclass(frozen=True)
class Link:
    """A symbolic link; `{outside}` in the target is the directory outside the repo."""

    target: str


@dataclass(frozen=True)
class Sparse:
    """A sparse file of `size` bytes (nothing written: reading it whole would take that memory)."""

    size: int


Content = str | bytes | Fifo | Directory | Link | Sparse | None
"""None removes the file."""

VALIDATE = ("validate", "{repo}")
RENDER = ("render", "{repo}", "-c", "local", "-o", "{out}")
CHECK = ("check", "{repo}", "-c", "local")
COMMANDS = {"validate": VALIDATE, "render": RENDER, "check": CHECK}


@dataclass(frozen=True)
class Case:
    category: str
    name: str
    files: dict[str, Content] = field(default_factory=dict)
    args: tuple[str, ...] = VALIDATE
    refused: bool = True
    """The command must fail (exit 1 or 2): the input is wrong."""
    placed: bool = True
    """A failure names FILE:LINE:COL (False: the command line itself is wrong)."""
    tools: bool = False
    """Needs helm (a chart is rendered when the case gets that far)."""
    isolated: bool = False
    """Runs in a process of its own (the policy engine could take the process down)."""

    @property
    def id(self) -> str:
        command = self.args[0]
        return f"{self.category}/{self.name}/{command}"


def _replace(path: str, old: str, new: str) -> dict[str, Content]:
    text = FILES[path]
    assert old in text, (path, old)
    return {path: text.replace(old, new, 1)}


def _each_command(
    category: str,
    name: str,
    files: dict[str, Content],
    refused: bool = True,
    commands: tuple[str, ...] = (),
    placed: bool = True,
) -> Iterator[Case]:
    for command in commands or ("validate", "render", "check"):
        yield Case(category, name, files, COMMANDS[command], refused, placed)


YAML_FILES = {
    "platform": "platform.yaml",
    "environment": "environments/test.yaml",
    "cluster": "clusters/local.yaml",
    "score": "services/api/score.yaml",
    "settings": "services/api/dockyard.yaml",
    "contract": "services/api/openapi.yaml",
    "provisioner": "provisioners/queue.yaml",
}

BREAKAGES: dict[str, tuple[Callable[[str], str | bytes], bool]] = {
    # name: (how the text is broken, whether the file must then be refused)
    "truncated": (lambda t: t[: int(len(t) * 0.6)] + '"', True),
    "unclosed-quote": (lambda t: t + 'extra: "abc\n', True),
    "unclosed-flow": (lambda t: t + "extra: [a, b\n", True),
    "bad-indent": (lambda t: t.replace("\n", "\n   odd: indent\n", 1), True),
    "tab-indent": (lambda t: t + "extra:\n\tkey: value\n", True),
    "duplicate-key": (lambda t: t + t.splitlines()[0] + "\n", True),
    "two-documents": (lambda t: t + "---\nextra: 1\n", True),
    "unknown-directive": (lambda t: "%FOO bar\n---\n" + t, False),  # YAML says: ignore it
    "nul-byte": (lambda t: t.replace("\n", "\n\0", 1), True),
    "empty": (lambda t: "", True),
    "only-comment": (lambda t: "# nothing here\n", True),
    "scalar": (lambda t: "just a string\n", True),
    "list": (lambda t: "- a\n- b\n", True),
    "latin-1": (lambda t: (t + "note: caf\xe9\n").encode("latin-1"), True),
    "utf-16": (lambda t: t.encode("utf-16"), True),
    "stray-bracket": (lambda t: t + "]\n", True),
    "anchor-undefined": (lambda t: t + "extra: *nowhere\n", True),
    "bom": (lambda t: "\ufeff" + t, False),
    "crlf": (lambda t: t.replace("\n", "\r\n"), False),
}


def yaml_syntax() -> Iterator[Case]:
    for kind, path in YAML_FILES.items():
        for name, (breaking, refused) in BREAKAGES.items():
            # cut short, the provisioner is still a valid (smaller) one
            refused = refused and not (kind == "provisioner" and name == "truncated")
            yield from _each_command("yaml-syntax", f"{kind}-{name}", {path: breaking(FILES[path])}, refused)


VALUE_TARGETS: dict[str, tuple[str, str, str]] = {
    # name: (file, the line as the base has it, the line with {v} for the value)
    "replicas": ("platform.yaml", "  replicas: 1\n", "  replicas: {v}\n"),
    "domain": ("platform.yaml", "domain: lab.example.org\n", "domain: {v}\n"),
    "profile": ("environments/test.yaml", "profile: dev-fast\n", "profile: {v}\n"),
    "kubernetes-version": ("clusters/local.yaml", "  version: '1.36'\n", "  version: {v}\n"),
    "image": ("services/api/score.yaml", "    image: registry.example.org/api:1.0.0\n", "    image: {v}\n"),
    "variable": ("services/api/score.yaml", "      GREETING: hello\n", "      GREETING: {v}\n"),
    "port": ("services/api/score.yaml", "    http: {port: 80, targetPort: 8080}\n", "    http: {{port: {v}}}\n"),
    "probe-path": (
        "services/api/score.yaml",
        "      httpGet: {path: /live, port: 8080}\n",
        "      httpGet: {{path: {v}, port: 8080}}\n",
    ),
    "cpu": (
        "services/api/score.yaml",
        "      requests: {cpu: 50m, memory: 64Mi}\n",
        "      requests: {{cpu: {v}, memory: 64Mi}}\n",
    ),
    "contract": ("services/api/dockyard.yaml", "contract: openapi.yaml\n", "contract: {v}\n"),
    "param": ("services/api/score.yaml", "      size: small\n", "      size: {v}\n"),
    "file-content": ("services/api/score.yaml", '        content: "level: info"\n', "        content: {v}\n"),
}

ODD_VALUES: dict[str, str] = {
    "binary-int": "0b101",
    "octal-int": "0o17",
    "hex-int": "0x1F",
    "underscore-int": "1_000",
    "tagged-bad-int": '!!int "abc"',
    "tagged-bad-float": '!!float "x"',
    "infinity": ".inf",
    "nan": "-.nan",
    "yaml11-yes": "yes",
    "yaml11-on": "on",
    "tilde": "~",
    "null": "null",
    "timestamp": "2001-12-14t21:59:43.10-05:00",
    "binary": "!!binary aGVsbG8=",
    "custom-tag": "!custom x",
    "python-tag": "!!python/object/apply:os.system ['true']",
    "flow-list": "[1, 2]",
    "flow-map": "{a: 1}",
    "empty-string": '""',
    "negative": "-1",
    "huge-int": "99999999999999999999999",
    "huge-float": "1e400",
    "set": "!!set {a, b}",
    "anchor": "&a value",
    "merge-key": "{<<: {a: 1}}",
    "tagged-map": "!!map {a: 1}",
    "long": "x" * 70_000,
}

MUST_REFUSE_VALUES = (
    {
        # (target, value) pairs whose acceptance would be wrong whatever the resolution of YAML types
        ("replicas", name)
        for name in (
            "tagged-bad-int",
            "tagged-bad-float",
            "infinity",
            "nan",
            "yaml11-yes",
            "yaml11-on",
            "timestamp",
            "binary",
            "custom-tag",
            "python-tag",
            "flow-list",
            "flow-map",
            "empty-string",
            "negative",
            "huge-int",
            "huge-float",
            "set",
            "merge-key",
            "tagged-map",
            "long",
        )
    }
    | {
        (target, name)
        for target in ("port", "cpu", "profile", "domain", "kubernetes-version", "image")
        for name in (
            "python-tag",
            "flow-list",
            "flow-map",
            "empty-string",
            "set",
            "binary",
            "custom-tag",
            "long",
            "null",
        )
    }
    | {(target, "python-tag") for target in VALUE_TARGETS}
)


def yaml_types() -> Iterator[Case]:
    for target, (path, old, template) in VALUE_TARGETS.items():
        for name, value in ODD_VALUES.items():
            files = _replace(path, old, template.format(v=value))
            refused = (target, name) in MUST_REFUSE_VALUES
            yield from _each_command("yaml-types", f"{target}-{name}", files, refused)


UNICODE_VALUES: dict[str, str] = {
    "lone-surrogate": '"a\\ud800b"',
    "rtl-override": '"abc\\u202edef"',
    "zero-width": '"a\\u200bb"',
    "escape-clear-screen": '"\\e[2J\\e[H"',
    "escape-title": '"\\e]0;owned\\a"',
    "newline-forged-place": '"x\\nplatform.yaml:1:1: all good"',
    "carriage-return": '"ok\\rplatform.yaml:1:1: fine"',
    "nul": '"a\\0b"',
    "next-line": '"a\\x85b"',
    "bell": '"\\a\\a"',
    "homoglyph": '"\u0430pi"',
    "combining": '"a\u0301\u0301\u0301"',
}
UNICODE_TARGETS = (
    "domain",
    "profile",
    "image",
    "variable",
    "probe-path",
    "cpu",
    "contract",
    "param",
    "kubernetes-version",
)


def unicode() -> Iterator[Case]:
    for target in UNICODE_TARGETS:
        path, old, template = VALUE_TARGETS[target]
        for name, value in UNICODE_VALUES.items():
            refused = target not in ("variable", "param") or name == "lone-surrogate"
            files = _replace(path, old, template.format(v=value))
            yield from _each_command("unicode", f"{target}-{name}", files, refused, ("validate", "render"))
    for name, value in UNICODE_VALUES.items():  # in a key: the service's own name
        yield from _each_command(
            "unicode", f"name-{name}", _replace("services/api/score.yaml", "  name: api\n", f"  name: {value}\n")
        )


BAD_NAMES = {
    "upper": "API",
    "underscore": "a_b",
    "leading-dash": "-a",
    "trailing-dash": "a-",
    "too-long": "a" * 64,
    "dot-dot": "../x",
    "slash": "a/b",
    "dot": "a.b",
    "space": "'a b'",
    "accent": "café",
    "empty": "''",
    "number": "123",
    "one-char": "a",
}
NAME_PLACES: dict[str, tuple[str, str, str]] = {
    "service": ("services/api/score.yaml", "  name: api\n", "  name: {v}\n"),
    "team": ("platform.yaml", "  team: lab\n", "  team: {v}\n"),
    "container": ("services/api/score.yaml", "  main:\n", "  {v}:\n"),
    "resource": ("services/api/score.yaml", "  queue:\n", "  {v}:\n"),
    "port": ("services/api/score.yaml", "    http: {port", "    {v}: {{port"),
    "platform": ("platform.yaml", "name: lab\n", "name: {v}\n"),
    "variable": ("services/api/score.yaml", "      GREETING: hello\n", "      {v}: hello\n"),
}
ACCEPTED_NAMES = {
    ("variable", "upper"),
    ("variable", "underscore"),
    ("container", "number"),
    ("resource", "number"),
    ("container", "dot"),
    ("resource", "dot"),
    ("resource", "underscore"),
    ("resource", "upper"),
    ("resource", "trailing-dash"),
    ("resource", "leading-dash"),
    ("service", "number"),
    ("team", "number"),
    ("platform", "number"),
    ("port", "number"),
    ("variable", "number"),
    ("variable", "leading-dash"),
    ("variable", "trailing-dash"),
    ("variable", "dot"),
    ("variable", "accent"),
    ("variable", "too-long"),
    ("variable", "one-char"),
    ("team", "one-char"),
    ("platform", "one-char"),
    # Kubernetes takes any printable ASCII but `=` in a variable's name (relaxed validation, 1.34)
    ("variable", "dot-dot"),
    ("variable", "slash"),
    ("variable", "space"),
}


def names() -> Iterator[Case]:
    for place, (path, old, template) in NAME_PLACES.items():
        for name, value in BAD_NAMES.items():
            files = _replace(path, old, template.format(v=value))
            refused = (place, name) not in ACCEPTED_NAMES
            yield from _each_command("names", f"{place}-{name}", files, refused, ("validate", "render"))
    for name in ("API", "a_b", "..", "-x", "a" * 64):  # the service's directory
        yield Case(
            "names",
            f"directory-{name[:8]}",
            {
                "services/api/score.yaml": None,
                "services/api/dockyard.yaml": None,
                "services/api/openapi.yaml": None,
                f"services/{name}/score.yaml": SCORE,
                f"services/{name}/dockyard.yaml": SETTINGS,
                f"services/{name}/openapi.yaml": CONTRACT,
            },
        )


UNPLACED = {"platform-missing", "no-clusters"}
"""No file to point at: the repo or the cluster is missing."""


def layers() -> Iterator[Case]:
    edits: dict[str, tuple[dict[str, Content], bool]] = {
        "platform-no-api-version": (_replace("platform.yaml", "apiVersion: dockyard.dev/v1alpha2\n", ""), True),
        "platform-wrong-api-version": (_replace("platform.yaml", "dockyard.dev/v1alpha2", "dockyard.dev/v9"), True),
        "platform-wrong-kind": (_replace("platform.yaml", "kind: Platform", "kind: Cluster"), True),
        "platform-unknown-key": (_replace("platform.yaml", "name: lab\n", "name: lab\nnmae: lab\n"), True),
        "platform-unknown-null": (_replace("platform.yaml", "name: lab\n", "name: lab\ndisruptionBuget: null\n"), True),
        "platform-series-unmet": (_replace("platform.yaml", "dockyard: '", "dockyard: '>=99.0' # '"), True),
        "platform-missing-name": (_replace("platform.yaml", "name: lab\n", ""), True),
        "platform-missing": ({"platform.yaml": None}, True),
        "environment-wrong-kind": (_replace("environments/test.yaml", "kind: Environment", "kind: Platform"), True),
        "environment-unknown-profile": (_replace("environments/test.yaml", "dev-fast", "turbo"), True),
        "environment-unknown-key": ({"environments/test.yaml": ENVIRONMENT + "replicas: 3\n"}, True),
        "cluster-unknown-environment": (
            _replace("clusters/local.yaml", "environment: test", "environment: tset"),
            True,
        ),
        "cluster-no-environment": (_replace("clusters/local.yaml", "environment: test\n", ""), True),
        "cluster-kubernetes-ancient": (_replace("clusters/local.yaml", "'1.36'", "'1.2'"), True),
        "cluster-kubernetes-future": (_replace("clusters/local.yaml", "'1.36'", "'9.99'"), True),
        "cluster-kubernetes-words": (_replace("clusters/local.yaml", "'1.36'", "latest"), True),
        "cluster-context-list": ({"clusters/local.yaml": CLUSTER + "kubeContext: [a]\n"}, True),
        "no-clusters": ({"clusters/local.yaml": None}, False),  # validate: nothing to judge; render: -c unknown
        "second-cluster-same-name": ({"clusters/local.yml": CLUSTER}, True),
        "cluster-file-not-yaml": ({"clusters/notes.txt": "hello"}, False),
        "components-unknown": (
            _replace("platform.yaml", "components:\n", "components:\n  nonsense: {enabled: true}\n"),
            True,
        ),
        "component-enabled-string": (
            _replace("platform.yaml", "  gateway-api: {enabled: false}", "  gateway-api: {enabled: 'no'}"),
            True,
        ),
        "component-values-list": (
            _replace(
                "platform.yaml", "  gateway-api: {enabled: false}", "  gateway-api: {enabled: false, values: [1]}"
            ),
            True,
        ),
        "component-namespace-builtin": (
            _replace(
                "platform.yaml", "  gateway-api: {enabled: false}", "  gateway-api: {enabled: false, namespace: x}"
            ),
            True,
        ),
        "service-defaults-unknown": (
            _replace("platform.yaml", "  replicas: 1\n", "  replicas: 1\n  replica: 2\n"),
            True,
        ),
        "min-over-max": (
            {
                **_replace("platform.yaml", "  replicas: 1\n", "  autoscaling: {minReplicas: 4, maxReplicas: 8}\n"),
                "clusters/local.yaml": CLUSTER + "serviceDefaults:\n  autoscaling: {maxReplicas: 3}\n",
            },
            True,
        ),
        "requests-over-limits": (
            _replace(
                "platform.yaml",
                "  replicas: 1\n",
                "  replicas: 1\n  resources: {requests: {cpu: '2'}, limits: {cpu: '1'}}\n",
            ),
            True,
        ),
        "secret-layer-typo": ({"secrets/prdo.yaml": "a: b\n"}, True),
    }
    for name, (files, refused) in edits.items():
        for command in ("validate", "render", "check"):
            # render does not judge the Kubernetes version (check needs its schemas, validate says so)
            judged = refused and not (name == "cluster-kubernetes-ancient" and command == "render")
            yield Case("layers", name, files, COMMANDS[command], judged, placed=name not in UNPLACED)


def placeholders() -> Iterator[Case]:
    values = {
        "unclosed": "${resources.queue.url",
        "empty": "${}",
        "bare-resources": "${resources}",
        "unknown-resource": "${resources.nope.url}",
        "unknown-output": "${resources.queue.nope}",
        "unknown-metadata": "${metadata.nope}",
        "nested": "${resources.${metadata.name}.url}",
        "deep": "${a.b.c.d.e.f.g.h}",
        "dot-dot": "${resources..url}",
        "many": "${resources.queue.url}" * 2000,
        "many-dollars": "$" * 50_000 + "{",
        "many-opens": "${" * 20_000,
        "kubernetes-expansion": "$(SECRET_VALUE)",
    }
    # an unclosed `${` stays text, as Score's reference implementations leave it; `$$` is a `$`
    accepted = {"many", "kubernetes-expansion", "unclosed", "many-dollars", "many-opens"}
    for name, value in values.items():
        files = _replace("services/api/score.yaml", "      GREETING: hello\n", f"      GREETING: '{value}'\n")
        yield from _each_command("placeholders", f"variable-{name}", files, name not in accepted)
        files = _replace("provisioners/queue.yaml", "      size: ${params.size}\n", f"      size: '{value}'\n")
        yield from _each_command(
            "placeholders", f"provisioner-{name}", files, name not in accepted and name != "unknown-metadata"
        )
    big = "${resources.queue.url} " * 40_000  # about 1 MiB of placeholders in one file's content
    files = _replace("services/api/score.yaml", '        content: "level: info"\n', f"        content: '{big}'\n")
    yield from _each_command("placeholders", "content-1mib", files, False, ("validate", "render"))


def _sourced(source: str) -> dict[str, Content]:
    """The base's file read from `source` instead of given inline."""
    return _replace("services/api/score.yaml", '        content: "level: info"\n', f"        source: {source}\n")


def score_fields() -> Iterator[Case]:
    score = "services/api/score.yaml"
    edits: dict[str, tuple[dict[str, Content], bool]] = {
        "containers-list": (_replace(score, "containers:\n  main:\n", "containers:\n- main:\n"), True),
        "containers-empty": (
            {score: SCORE.split("containers:")[0] + "containers: {}\n" + "service:" + SCORE.split("service:")[1]},
            True,
        ),
        "image-number": (_replace(score, "image: registry.example.org/api:1.0.0", "image: 5"), True),
        "image-dot-no-supply": (_replace(score, "image: registry.example.org/api:1.0.0", "image: ."), True),
        "args-string": (_replace(score, '    args: ["--listen", ":8080"]', '    args: "--listen"'), True),
        "variables-list": (
            _replace(score, "    variables:\n      GREETING: hello\n", "    variables:\n      - GREETING\n"),
            True,
        ),
        "cpu-words": (_replace(score, "cpu: 50m", "cpu: lots"), True),
        "memory-unit": (_replace(score, "memory: 64Mi", "memory: 1Zi"), True),
        "requests-over-limits": (_replace(score, "limits: {memory: 128Mi}", "limits: {memory: 1Mi}"), True),
        "port-zero": (_replace(score, "{port: 80, targetPort: 8080}", "{port: 0}"), True),
        "port-high": (_replace(score, "{port: 80, targetPort: 8080}", "{port: 70000}"), True),
        "port-string": (_replace(score, "{port: 80, targetPort: 8080}", "{port: http}"), True),
        "ports-empty": (_replace(score, "    http: {port: 80, targetPort: 8080}\n", "    {}\n"), False),
        "probe-port-words": (_replace(score, "{path: /live, port: 8080}", "{path: /live, port: words}"), True),
        "probe-path-relative": (_replace(score, "{path: /live, port: 8080}", "{path: live, port: 8080}"), True),
        "files-mapping": (_replace(score, "    files:\n      - target", "    files:\n      x:\n        target"), True),
        "file-both-sources": (
            _replace(score, '        content: "level: info"\n', '        content: "a"\n        source: x.txt\n'),
            True,
        ),
        "file-no-target": (
            _replace(score, "      - target: /etc/api/config.yaml\n        content", "      - content"),
            True,
        ),
        "file-target-relative": (_replace(score, "target: /etc/api/config.yaml", "target: config.yaml"), True),
        "file-target-dot-dot": (_replace(score, "target: /etc/api/config.yaml", "target: /etc/../../proc/x"), True),
        "file-mode-bad": (
            _replace(score, '        content: "level: info"\n', '        content: "a"\n        mode: "999"\n'),
            True,
        ),
        "file-source-missing": (
            _sourced("missing.txt"),
            True,
        ),
        "file-source-outside": (
            _sourced("../../../outside/canary.txt"),
            True,
        ),
        "file-source-absolute": (
            _sourced("/etc/hostname"),
            True,
        ),
        "file-source-proc": (
            _sourced("/proc/self/environ"),
            True,
        ),
        "file-source-link-out": (
            {
                **_sourced("config.txt"),
                "services/api/config.txt": Link("{outside}/canary.txt"),
            },
            True,
        ),
        "file-source-fifo": (
            {
                **_sourced("config.txt"),
                "services/api/config.txt": Fifo(),
            },
            True,
        ),
        "file-source-directory": (
            {
                **_sourced("config.txt"),
                "services/api/config.txt": Directory(),
            },
            True,
        ),
        "file-source-sparse-1gib": (
            {
                **_sourced("config.txt"),
                "services/api/config.txt": Sparse(1_100_000_000),
            },
            True,
        ),
        "file-binary-bad-base64": (
            _replace(score, '        content: "level: info"\n', '        binaryContent: "!!!"\n'),
            True,
        ),
        "resource-no-type": (_replace(score, "    type: queue\n", ""), True),
        "resource-unknown-type": (_replace(score, "    type: queue\n", "    type: quantum\n"), True),
        "resource-unknown-param": (
            _replace(score, "      size: small\n", "      size: small\n      colour: blue\n"),
            True,
        ),
        "resource-class-unserved": (_replace(score, "    type: queue\n", "    type: queue\n    class: gold\n"), True),
        "api-with-params": (_replace(score, "    type: api\n", "    type: api\n    params: {x: 1}\n"), True),
        "annotation-key-bad": (_replace(score, "  name: api\n", "  name: api\n  annotations: {'bad key!': x}\n"), True),
        "annotation-reserved": (
            _replace(score, "  name: api\n", "  name: api\n  annotations: {dockyard.dev/source: x}\n"),
            True,
        ),
        "unknown-top-key": ({score: SCORE + "extra: true\n"}, True),
        "unknown-container-key": (_replace(score, "    image: registry", "    imag: x\n    image: registry"), True),
        "wrong-api-version": (_replace(score, "score.dev/v1b1", "score.dev/v9"), True),
        "before-cycle": (
            _replace(
                score,
                "containers:\n  main:\n",
                "containers:\n  init:\n    image: busybox:1\n    before:\n      main: {ready: complete}\n"
                "  main:\n    before:\n      init: {ready: complete}\n",
            ),
            True,
        ),
    }
    for name, (files, refused) in edits.items():
        yield from _each_command("score-fields", name, files, refused)


def _contract_with_ref(ref: str) -> dict[str, Content]:
    return _replace(
        "services/api/openapi.yaml", "schema: {$ref: '#/components/schemas/Items'}", f"schema: {{$ref: '{ref}'}}"
    )


def contracts() -> Iterator[Case]:
    refs = {
        "metadata-address": "http://169.254.169.254/latest/meta-data/",
        "https": "https://example.org/schemas/items.yaml",
        "ftp": "ftp://example.org/items.yaml",
        "file-url": "file:///etc/passwd",
        "file-url-environ": "file:///proc/self/environ",
        "absolute": "/etc/passwd",
        "outside": "../../../outside/canary.txt",
        "far-outside": "../../../../../../../../etc/hostname",
        "dangling-pointer": "#/components/schemas/Nope",
        "bad-pointer": "#components",
        "empty": "",
        "link-out": "linked.yaml",
        "fifo": "pipe.yaml",
        "directory": "folder",
    }
    extra: dict[str, dict[str, Content]] = {
        "link-out": {"services/api/linked.yaml": Link("{outside}/canary.txt")},
        "fifo": {"services/api/pipe.yaml": Fifo()},
        "directory": {"services/api/folder": Directory()},
    }
    for name, ref in refs.items():  # an empty reference is the document itself: odd, but it resolves
        files = {**_contract_with_ref(ref), **extra.get(name, {})}
        yield from _each_command("contracts", f"ref-{name}", files, name != "empty")
    fan = (
        "components:\n  schemas:\n"
        + "".join(
            f"    S{i}: {{type: object, properties: {{a: {{$ref: '#/components/schemas/S{i + 1}'}}, "
            f"b: {{$ref: '#/components/schemas/S{i + 1}'}}}}}}\n"
            for i in range(40)
        )
        + "    S40: {type: string}\n"
    )
    fan_out = (
        CONTRACT.split("components:")[0].replace("'#/components/schemas/Items'", "'#/components/schemas/S0'") + fan
    )
    yield from _each_command("contracts", "exponential-fan-out", {"services/api/openapi.yaml": fan_out}, False)
    cycle = CONTRACT.replace(
        "      type: array\n      items: {type: string}\n",
        "      type: array\n      items: {$ref: '#/components/schemas/Items'}\n",
    )
    yield from _each_command("contracts", "recursive-schema", {"services/api/openapi.yaml": cycle}, False)
    documents: dict[str, tuple[str, bool]] = {
        "swagger-2": ("swagger: '2.0'\ninfo: {title: a, version: '1'}\npaths: {}\n", True),
        "version-unknown": (CONTRACT.replace("3.0.3", "3.9.0"), True),
        "paths-list": ("openapi: 3.0.3\ninfo: {title: a, version: '1'}\npaths: [a]\n", True),
        "no-info": ("openapi: 3.0.3\npaths: {}\n", True),
        "json": ('{"openapi": "3.0.3", "info": {"title": "a", "version": "1"}, "paths": {}}\n', False),
        "many-paths": (
            "openapi: 3.0.3\ninfo: {title: a, version: '1'}\npaths:\n"
            + "".join(f"  /p{i}:\n    get:\n      responses: {{'200': {{description: ok}}}}\n" for i in range(3000)),
            False,
        ),
        "path-template-unsafe": (
            "openapi: 3.0.3\ninfo: {title: a, version: '1'}\npaths:\n"
            "  /a/{+x}:\n    get:\n      responses: {'200': {description: ok}}\n",
            True,
        ),
        "security-unknown-scheme": (
            CONTRACT.replace("    get:\n", "    get:\n      security: [{nope: [read]}]\n"),
            True,
        ),
    }
    for name, (text, refused) in documents.items():
        yield from _each_command("contracts", name, {"services/api/openapi.yaml": text}, refused)
    for name, target in (
        ("outside", "../../../outside/canary.txt"),
        ("absolute", "/etc/passwd"),
        ("missing", "nope.yaml"),
    ):
        yield from _each_command(
            "contracts", f"contract-path-{name}", _replace("services/api/dockyard.yaml", "openapi.yaml", target)
        )
    yield from _each_command("contracts", "contract-fifo", {"services/api/openapi.yaml": Fifo()})
    yield from _each_command(
        "contracts", "contract-link-out", {"services/api/openapi.yaml": Link("{outside}/canary.txt")}
    )


CHART_COMPONENT = (
    "  evil:\n    chart: {repository: 'https://charts.example.org', name: evil, version: 1.0.0}\n"
    "    namespace: evil\n    stage: platform-services\n"
)


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]], *, fmt: int = tarfile.GNU_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=fmt) as tar,
    ):  # type: ignore[call-overload]
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _special(name: str, kind: bytes, link: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info, None


CHART_FILES = [
    _file("evil/Chart.yaml", b"apiVersion: v2\nname: evil\nversion: 1.0.0\n"),
    _file("evil/values.yaml", b"size: 1\n"),
    _file("evil/templates/cm.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: evil}\ndata: {size: '1'}\n"),
]


def _zeros(name: str, size: int) -> tuple[tarfile.TarInfo, bytes]:
    return _file(name, b"\0" * size)


def _pax_bomb() -> bytes:
    header = b"%d path=x\n" % 10
    digits = b"9" * 400_000
    record = digits + b" path=evil/a\n"
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = tarfile.XHDTYPE
    info.size = len(record)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped:
        zipped.write(info.tobuf(tarfile.USTAR_FORMAT))
        zipped.write(record + b"\0" * (-len(record) % 512))
        zipped.write(header)
    return buffer.getvalue()


def archives() -> Iterator[Case]:
    from dockyard.charts.source import ChartSource

    layouts: dict[str, tuple[bytes, bool]] = {
        "benign": (_tar(CHART_FILES), False),
        "dot-dot": (_tar([*CHART_FILES, _file("evil/../../escape.txt", b"x")]), True),
        "absolute": (_tar([*CHART_FILES, _file("/tmp/escape.txt", b"x")]), True),
        "symlink": (_tar([*CHART_FILES, _special("evil/templates/link.yaml", tarfile.SYMTYPE, "/etc/passwd")]), True),
        "hardlink": (_tar([*CHART_FILES, _special("evil/templates/hard.yaml", tarfile.LNKTYPE, "/etc/passwd")]), True),
        "device": (_tar([*CHART_FILES, _special("evil/dev", tarfile.CHRTYPE)]), True),
        "fifo": (_tar([*CHART_FILES, _special("evil/pipe", tarfile.FIFOTYPE)]), True),
        "many-entries": (_tar([*CHART_FILES, *(_file(f"evil/files/{i}", b"") for i in range(20_001))]), True),
        "big-file": (_tar([*CHART_FILES, _zeros("evil/files/big", 17 * 1024 * 1024)]), True),
        "big-total": (_tar([*CHART_FILES, *(_zeros(f"evil/files/{i}", 15 * 1024 * 1024) for i in range(9))]), True),
        "pax-digits": (_pax_bomb(), True),
        "not-gzip": (b"this is not an archive\n", True),
        "truncated-gzip": (_tar(CHART_FILES)[:40], True),
        "empty": (b"", True),
        "gzip-of-nothing": (gzip.compress(b"", mtime=0), True),
        "billion-laughs-template": (
            _tar(
                [
                    *CHART_FILES[:2],
                    _file(
                        "evil/templates/cm.yaml",
                        b"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                        b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                        b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                        b"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
                        b"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]\n",
                    ),
                ]
            ),
            True,
        ),
    }
    source = ChartSource.from_values({"repository": "https://charts.example.org", "name": "evil", "version": "1.0.0"})
    fields = source.lock_fields()
    platform = PLATFORM + CHART_COMPONENT
    for name, (archive, refused) in layouts.items():
        lock = "charts:\n  evil:\n" + "".join(f"    {k}: '{v}'\n" for k, v in fields.items())
        lock += f"    archive: charts/{source.archive_name()}\n    sha256: {hashlib.sha256(archive).hexdigest()}\n"
        files: dict[str, Content] = {
            "platform.yaml": platform,
            "charts.lock": lock,
            f"charts/{source.archive_name()}": archive,
        }
        for command in ("validate", "render"):
            # validate reads the archive, only helm's render meets its templates
            judged = refused and not (name == "billion-laughs-template" and command == "validate")
            yield Case("archives", name, files, COMMANDS[command], judged, tools=True)
    good = layouts["benign"][0]
    bad_locks: dict[str, str] = {
        "lock-wrong-digest": "charts:\n  evil:\n"
        + "".join(f"    {k}: '{v}'\n" for k, v in fields.items())
        + f"    archive: charts/{source.archive_name()}\n    sha256: {'0' * 64}\n",
        "lock-archive-outside": "charts:\n  evil:\n"
        + "".join(f"    {k}: '{v}'\n" for k, v in fields.items())
        + f"    archive: ../outside/canary.txt\n    sha256: {hashlib.sha256(good).hexdigest()}\n",
        "lock-archive-dot-dot": "charts:\n  evil:\n"
        + "".join(f"    {k}: '{v}'\n" for k, v in fields.items())
        + f"    archive: charts/../../outside/canary.txt\n    sha256: {hashlib.sha256(good).hexdigest()}\n",
        "lock-not-mapping": "charts: [a, b]\n",
        "lock-entry-scalar": "charts:\n  evil: yes\n",
        "lock-missing-fields": "charts:\n  evil: {version: 1.0.0}\n",
        "lock-other-version": "charts:\n  evil:\n"
        + "".join(f"    {k}: '{'2.0.0' if k == 'version' else v}'\n" for k, v in fields.items())
        + f"    archive: charts/{source.archive_name()}\n    sha256: {hashlib.sha256(good).hexdigest()}\n",
        "lock-broken-yaml": "charts:\n  evil: [\n",
        "lock-unpinned": "charts: {}\n",
    }
    for name, lock in bad_locks.items():
        files = {"platform.yaml": platform, "charts.lock": lock, f"charts/{source.archive_name()}": good}
        for command in ("validate", "render"):
            refused = command == "render" or name != "lock-unpinned"  # validate warns of a chart not pulled yet
            yield Case("charts-lock", name, files, COMMANDS[command], refused, tools=True)
    for name, content in (
        ("lock-fifo", Fifo()),
        ("lock-link-out", Link("{outside}/canary.txt")),
        ("lock-directory", Directory()),
    ):
        files = {"platform.yaml": platform, "charts.lock": content, f"charts/{source.archive_name()}": good}
        for command in ("validate", "render"):
            refused = command == "render" or name != "lock-unpinned"  # validate warns of a chart not pulled yet
            yield Case("charts-lock", name, files, COMMANDS[command], refused, tools=True)
    for name, content in (("archive-link-out", Link("{outside}/canary.txt")), ("archive-fifo", Fifo())):
        lock = "charts:\n  evil:\n" + "".join(f"    {k}: '{v}'\n" for k, v in fields.items())
        lock += f"    archive: charts/{source.archive_name()}\n    sha256: {hashlib.sha256(good).hexdigest()}\n"
        files = {"platform.yaml": platform, "charts.lock": lock, f"charts/{source.archive_name()}": content}
        for command in ("validate", "render"):
            yield Case("archives", name, files, COMMANDS[command], True, tools=True)


ENGINE_LIMITS = ("huge-range", "huge-sprintf")
"""Policies that take the engine down where it runs (a failed allocation aborts its process): the
repo's policies run in a child process with limits (check/contained.py), so only the child ends."""


def policies() -> Iterator[Case]:
    rego = "policies/labels.rego"
    bodies: dict[str, tuple[str, bool]] = {
        "syntax-error": ("package dockyard.policies.labels\n\ndeny contains x if {\n", True),
        "wrong-package": (POLICY.replace("dockyard.policies.labels", "dockyard.policies.other"), True),
        "no-package": ("deny := []\n", True),
        "undefined-function": (POLICY.replace("not object.manifest", "nope(object)\n  not object.manifest"), True),
        "deny-number": ("package dockyard.policies.labels\n\nimport rego.v1\n\ndeny contains 5 if { true }\n", True),
        "deny-string": (
            'package dockyard.policies.labels\n\nimport rego.v1\n\ndeny contains "just text" if { true }\n',
            True,
        ),
        "deny-object-missing-fields": (
            'package dockyard.policies.labels\n\nimport rego.v1\n\ndeny contains {"x": 1} if { true }\n',
            True,
        ),
        "recursion": (
            "package dockyard.policies.labels\n\nimport rego.v1\n\nf(x) := f(x + 1)\n\n"
            'deny contains {"object": "x", "path": "", "message": "m"} if { f(1) == 0 }\n',
            True,
        ),
        "recursion-mutual": (
            "package dockyard.policies.labels\n\nimport rego.v1\n\ng(x) := h(x)\n\nh(x) := y if {\n  y := g(x)\n}\n\n"
            'deny contains {"object": "x", "path": "", "message": "m"} if { g(1) == 0 }\n',
            True,
        ),
        "recursion-conftest": (
            "package main\n\nimport rego.v1\n\nf(x) := f(x)\n\ndeny contains msg if {\n  msg := f(1)\n}\n",
            True,
        ),
        "huge-sprintf": (
            "package dockyard.policies.labels\n\nimport rego.v1\n\n"
            'deny contains {"object": "x", "path": "", "message": m} if { m := sprintf("%999999999d", [1]) }\n',
            True,
        ),
        "huge-range": (
            "package dockyard.policies.labels\n\nimport rego.v1\n\n"
            'deny contains {"object": "x", "path": "", "message": "m"} '
            "if { count(numbers.range(1, 100000000)) == 0 }\n",
            True,
        ),
        "http-send": (
            "package dockyard.policies.labels\n\nimport rego.v1\n\n"
            'deny contains {"object": "x", "path": "", "message": r.body} if {\n'
            '  r := http.send({"method": "get", "url": "http://169.254.169.254/"})\n}\n',
            False,  # no such built-in here: no request, nothing of the environment
        ),
        "runtime-env": (
            "package dockyard.policies.labels\n\nimport rego.v1\n\n"
            'deny contains {"object": "x", "path": "", "message": sprintf("%v", [opa.runtime().env])} if { true }\n',
            False,  # no such built-in here: no request, nothing of the environment
        ),
        "conftest-broken": ("package main\n\ndeny[msg] {\n  msg := \n}\n", True),
        "binary": ("\0\1\2\3", True),
    }
    for name, (text, refused) in bodies.items():
        isolated = name in ENGINE_LIMITS or name.startswith("recursion")  # a regression would end the test process
        yield Case("policies", name, {rego: text}, CHECK, refused, isolated=isolated)
    templates: dict[str, str] = {
        "template-no-rego": "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata: {name: k8sx}\n"
        "spec:\n  crd: {spec: {names: {kind: K8sX}}}\n  targets: [{target: admission.k8s.gatekeeper.sh}]\n",
        "template-broken-rego": "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\n"
        "metadata: {name: k8sx}\n"
        "spec:\n  crd: {spec: {names: {kind: K8sX}}}\n  targets:\n    - target: admission.k8s.gatekeeper.sh\n"
        "      rego: 'package k8sx\n\n        violation[{{\"msg\": m}}] {{'\n",
        "constraint-without-template": "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sNope\n"
        "metadata: {name: x}\n",
        "yaml-list": "- a\n- b\n",
    }
    for name, text in templates.items():
        for command in ("validate", "check"):
            # validate reads policies but compiles none (check does)
            refused = not (name == "template-broken-rego" and command == "validate")
            yield Case("policies", name, {"policies/gatekeeper.yaml": text}, COMMANDS[command], refused)


def cli_misuse() -> Iterator[Case]:
    argv: dict[str, tuple[tuple[str, ...], bool]] = {
        "repo-missing": (("validate", "{repo}/nope"), False),
        "repo-is-file": (("validate", "{repo}/platform.yaml"), True),  # the repo that holds the file
        "unknown-cluster": (("render", "{repo}", "-c", "nope"), False),
        "unknown-option": (("validate", "{repo}", "--frobnicate"), False),
        "no-arguments-render": (("render", "{repo}", "-c"), False),
        "output-is-file": (("render", "{repo}", "-c", "local", "-o", "{repo}/platform.yaml"), False),
        "output-is-repo": (("render", "{repo}", "-c", "local", "-o", "{repo}"), False),
        "output-among-inputs": (("render", "{repo}", "-c", "local", "-o", "{repo}/services/api"), False),
        "only-bogus": (("render", "{repo}", "-c", "local", "--only", "bogus"), False),
        "check-output-bogus": (("check", "{repo}", "-c", "local", "--output", "bogus"), False),
        "explain-bad-key": (("explain", "a..b", "--cluster", "local", "{repo}"), False),
        "explain-unknown": (("explain", "services.nope.replicas", "--cluster", "local", "{repo}"), False),
        "explain-no-cluster": (("explain", "services.api.replicas", "--cluster", "nope", "{repo}"), False),
        "policies-export-to-file": (
            ("policies", "export", "{repo}", "-c", "local", "--gatekeeper", "-o", "{repo}/platform.yaml"),
            False,
        ),
        "charts-verify-no-lock": (("charts", "verify", "{repo}"), True),  # nothing pinned, nothing wrong
        "init-into-existing": (("init", "{repo}"), False),
        "init-onto-file": (("init", "{repo}/platform.yaml"), False),
        "schema-out-file": (("schema", "--out", "{repo}/platform.yaml"), False),
        "components-unknown-cluster": (("components", "{repo}", "-c", "nope"), False),
        "secrets-set-from-argv": (("secrets", "set", "a.b", "value", "{repo}"), False),
        "repo-empty-string": (("validate", ""), False),
        "repo-nul": (("validate", "a\0b"), False),
    }
    for name, (args, accepted) in argv.items():
        yield Case("cli", name, {}, args, not accepted, placed=False)


def filesystem() -> Iterator[Case]:
    edits: dict[str, dict[str, Content]] = {
        "score-fifo": {"services/api/score.yaml": Fifo()},
        "score-directory": {"services/api/score.yaml": Directory()},
        "score-link-out": {"services/api/score.yaml": Link("{outside}/canary.txt")},
        "score-link-dangling": {"services/api/score.yaml": Link("nowhere.yaml")},
        "score-link-loop": {"services/api/score.yaml": Link("loop.yaml"), "services/api/loop.yaml": Link("score.yaml")},
        "score-link-device": {"services/api/score.yaml": Link("/dev/zero")},
        "score-sparse": {"services/api/score.yaml": Sparse(1_100_000_000)},
        "platform-fifo": {"platform.yaml": Fifo()},
        "platform-link-out": {"platform.yaml": Link("{outside}/canary.txt")},
        "platform-directory": {"platform.yaml": Directory()},
        "environment-fifo": {"environments/test.yaml": Fifo()},
        "cluster-link-out": {"clusters/local.yaml": Link("{outside}/canary.txt")},
        "settings-fifo": {"services/api/dockyard.yaml": Fifo()},
        "provisioner-fifo": {"provisioners/queue.yaml": Fifo()},
        "provisioner-link-out": {"provisioners/queue.yaml": Link("{outside}/canary.txt")},
        "policy-fifo": {"policies/labels.rego": Fifo()},
        "policy-link-out": {"policies/labels.rego": Link("{outside}/canary.txt")},
        "services-link-out": {
            "services/api/score.yaml": None,
            "services/api/dockyard.yaml": None,
            "services/api/openapi.yaml": None,
            "services": Link("{outside}"),
        },
        "service-dir-link-out": {
            "services/api/score.yaml": None,
            "services/api/dockyard.yaml": None,
            "services/api/openapi.yaml": None,
            "services/api": Link("{outside}"),
        },
        "provisioners-is-file": {"provisioners/queue.yaml": None, "provisioners": "not a directory\n"},
        "environments-is-file": {"environments/test.yaml": None, "environments": "not a directory\n"},
        "policies-link-out": {"policies/labels.rego": None, "policies": Link("{outside}")},
        "secrets-link-out": {"secrets": Link("{outside}")},
        "charts-link-out": {"charts": Link("{outside}"), "charts.lock": "charts: {}\n"},
        "overrides-link-out": {"services/api/overrides": Link("{outside}")},
    }
    for name, files in edits.items():  # charts/ is read only for a component's chart (the base has none)
        yield from _each_command("filesystem", name, files, name != "charts-link-out")


def sizes() -> Iterator[Case]:
    score = "services/api/score.yaml"
    laughs = "".join(f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 10 if i else ["lol"] * 10) + "]\n" for i in range(9))
    edits: dict[str, tuple[dict[str, Content], bool]] = {
        "score-2mib-comment": ({score: SCORE + "# " + "x" * 2 * 1024 * 1024 + "\n"}, True),
        "score-deep-flow": ({score: SCORE + "extra: " + "[" * 50_000 + "]" * 50_000 + "\n"}, True),
        "score-deep-block": ({score: SCORE + "extra:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 3000))}, True),
        # the parser's composer recurses on the C stack per level: each of these crashed it unguarded
        "score-deep-keys": ({score: SCORE + "extra: " + "? " * 100_000 + "x\n"}, True),
        "score-deep-tagged-flow": ({score: SCORE + "extra: " + "!!map {" * 100_000 + "\n"}, True),
        "score-deep-anchored-flow": (
            {score: SCORE + "extra: " + "".join(f"&a{i} [" for i in range(50_000)) + "\n"},
            True,
        ),
        "score-deep-dashes-keys": ({score: SCORE + "extra:\n  " + "- ? " * 50_000 + "x\n"}, True),
        "score-billion-laughs": ({score: SCORE + laughs}, True),
        "score-many-keys": ({score: SCORE + "extra:\n" + "".join(f"  k{i}: {i}\n" for i in range(60_000))}, True),
        "score-long-line": ({score: SCORE.replace("GREETING: hello", "GREETING: " + "y" * 900_000)}, False),
        "platform-aliases": ({"platform.yaml": PLATFORM + laughs}, True),
        "contract-5mib": ({"services/api/openapi.yaml": CONTRACT + "# " + "x" * 5 * 1024 * 1024 + "\n"}, False),
        "policy-2mib": ({"policies/labels.rego": POLICY + "# " + "x" * 2 * 1024 * 1024 + "\n"}, True),
        "many-variables": (
            _replace(score, "      GREETING: hello\n", "".join(f"      V{i}: '{i}'\n" for i in range(5000))),
            False,
        ),
        "many-containers": (
            _replace(
                score,
                "containers:\n",
                "containers:\n" + "".join(f"  c{i:04d}:\n    image: busybox:1\n" for i in range(500)),
            ),
            False,
        ),
    }
    for name, (files, refused) in edits.items():
        yield from _each_command("sizes", name, files, refused, ("validate", "render"))


def provisioners() -> Iterator[Case]:
    path = "provisioners/queue.yaml"
    manifests_at = "manifests:\n"

    def manifest(text: str) -> dict[str, Content]:
        return {path: PROVISIONER.split(manifests_at)[0] + manifests_at + text}

    edits: dict[str, dict[str, Content]] = {
        "cluster-scoped-kind": manifest(
            "  - apiVersion: rbac.authorization.k8s.io/v1\n    kind: ClusterRole\n"
            "    metadata: {name: x}\n    rules: []\n"
        ),
        "namespace-kind": manifest("  - apiVersion: v1\n    kind: Namespace\n    metadata: {name: kube-system}\n"),
        "other-namespace": manifest(
            "  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: x, namespace: kube-system}\n"
        ),
        "name-dot-dot": manifest("  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: ../../escape}\n"),
        "name-from-param": {
            **manifest("  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: '${params.size}'}\n"),
            **_replace("services/api/score.yaml", "      size: small\n", "      size: ../../../outside/escape\n"),
        },
        "namespace-from-param": {
            **manifest(
                "  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: x, namespace: '${params.size}'}\n"
            ),
            **_replace("services/api/score.yaml", "      size: small\n", "      size: ../../outside\n"),
        },
        "kind-dot-dot": manifest("  - apiVersion: v1\n    kind: ../../Escape\n    metadata: {name: x}\n"),
        "kind-missing": manifest("  - apiVersion: v1\n    metadata: {name: x}\n"),
        "api-version-bad": manifest("  - apiVersion: 5\n    kind: ConfigMap\n    metadata: {name: x}\n"),
        "manifests-mapping": {path: PROVISIONER.split(manifests_at)[0] + "manifests: {a: 1}\n"},
        "manifest-scalar": manifest("  - just text\n"),
        "secret-with-data": manifest(
            "  - apiVersion: v1\n    kind: Secret\n    metadata: {name: x}\n    stringData: {password: hunter2}\n"
        ),
        "webhook": manifest(
            "  - apiVersion: admissionregistration.k8s.io/v1\n    kind: ValidatingWebhookConfiguration\n"
            "    metadata: {name: x}\n    webhooks: []\n"
        ),
        "crd": manifest(
            "  - apiVersion: apiextensions.k8s.io/v1\n    kind: CustomResourceDefinition\n"
            "    metadata: {name: xs.example.org}\n"
        ),
        "outputs-secret-ref-bad": _replace(
            path, "  url: amqp://${service}-${id}.broker:5672\n", "  url: {secretRef: 5}\n"
        ),
        "params-list": _replace(path, "params:\n  size: the queue's size\n", "params: [size]\n"),
        "egress-everywhere": {path: PROVISIONER + "egress:\n  - namespace: '*'\n    ports: [0]\n"},
        "type-invalid": _replace(path, "kind: Provisioner\n", "kind: Provisioner\ntype: '../x'\n"),
        "unknown-key": {path: PROVISIONER + "extra: 1\n"},
        "placeholder-in-key": manifest(
            "  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: x}\n    data: {'${params.size}': x}\n"
        ),
    }
    for name, files in edits.items():
        for command in ("validate", "render", "check"):
            # a Secret with its values in a provisioner's objects: rendered, and refused by check's policy
            refused = name != "placeholder-in-key" and (name != "secret-with-data" or command == "check")
            yield Case("provisioners", name, files, COMMANDS[command], refused)


def secrets_files() -> Iterator[Case]:
    edits: dict[str, dict[str, Content]] = {
        "plain-values": {"secrets/platform.yaml": "token: hunter2\n"},
        "broken-yaml": {"secrets/platform.yaml": "token: [\n"},
        "sops-no-mac": {
            "secrets/platform.yaml": "token: ENC[AES256_GCM,data:abc,iv:abc,tag:abc,type:str]\n"
            "sops:\n  version: 3.9.0\n"
        },
        "sops-garbage": {"secrets/platform.yaml": "token: ENC[nonsense]\nsops: 5\n"},
        "sops-huge-numbers": {"secrets/platform.yaml": "sops:\n  version: 99999999999999999999\n  mac: x\n"},
        "service-secrets-garbage": {"services/api/secrets.yaml": "\0\0\0"},
        "service-secrets-list": {"services/api/secrets.yaml": "- a\n"},
        "unknown-layer": {"secrets/nowhere.yaml": "a: b\n"},
        "secrets-fifo": {"secrets/platform.yaml": Fifo()},
        "sops-config-broken": {".sops.yaml": "creation_rules: [\n", "secrets/platform.yaml": "a: b\n"},
    }
    for name, files in edits.items():
        yield from _each_command("secrets", name, files, True, ("validate", "render"))


def settings() -> Iterator[Case]:
    path = "services/api/dockyard.yaml"
    lines: dict[str, tuple[str, bool]] = {
        "replicas-negative": ("replicas: -1\n", True),
        "replicas-huge": ("replicas: 100000\n", True),
        "replicas-string": ("replicas: '2'\n", True),
        "autoscaling-min-over-max": ("autoscaling: {minReplicas: 5, maxReplicas: 2}\n", True),
        "autoscaling-zero": ("autoscaling: {minReplicas: 0, maxReplicas: 0}\n", True),
        "rollout-both-zero": ("rollout: {maxSurge: 0, maxUnavailable: 0}\n", True),
        "rollout-percent-bad": ("rollout: {maxSurge: 150%}\n", False),  # a surge may exceed 100 %
        "unknown-key": ("replica: 2\n", True),
        "unknown-key-null": ("disruptionBuget: null\n", True),
        "team-upper": ("team: LAB\n", True),
        "namespace-system": ("namespace: kube-system\n", True),
        "namespace-default": ("namespace: default\n", True),
        "metrics-port-unknown": ("metrics: {port: nope}\n", True),
        "auth-jwt-string": ("auth: {jwt: 'no'}\n", True),
        "job-bad-cron": ("job: {schedule: 'every day'}\n", True),
        "job-negative-retries": ("job: {schedule: '0 * * * *', retries: -1}\n", True),
        "contract-number": ("contract: 5\n", True),
        "kind-wrong": ("kind: Platform\n", True),
        "images-bad": ("images: {main: 5}\n", True),
        "images-unknown-container": ("images: {nope: 'registry.example.org/x:1'}\n", True),
        "resources-cpu-bad": ("resources: {requests: {cpu: lots}}\n", True),
    }
    for name, (line, refused) in lines.items():
        text = SETTINGS.replace("contract: openapi.yaml\n", "") if line.startswith("contract:") else SETTINGS
        text = text.replace("kind: ServiceSettings\n", "") if line.startswith("kind:") else text
        yield from _each_command("settings", name, {path: text + line}, refused)


CATEGORIES: dict[str, Callable[[], Iterator[Case]]] = {
    "yaml-syntax": yaml_syntax,
    "yaml-types": yaml_types,
    "unicode": unicode,
    "names": names,
    "layers": layers,
    "placeholders": placeholders,
    "score-fields": score_fields,
    "contracts": contracts,
    "archives": archives,
    "policies": policies,
    "cli": cli_misuse,
    "filesystem": filesystem,
    "sizes": sizes,
    "provisioners": provisioners,
    "secrets": secrets_files,
    "settings": settings,
}


def all_cases() -> list[Case]:
    cases = [case for generate in CATEGORIES.values() for case in generate()]
    seen: set[str] = set()
    for case in cases:
        assert case.id not in seen, f"two cases named {case.id}"
        seen.add(case.id)
    return cases
