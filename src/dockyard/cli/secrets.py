"""`dockyard secrets ...`: the platform repo's encrypted secrets (SOPS files, age and PGP recipients).

A value never comes from the command line (stdin or a prompt without echo), and no command prints
one: `list` and `diff` show keys only.
"""

from __future__ import annotations

import dataclasses
import getpass
import io
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from ruamel.yaml import YAML

from dockyard.cli.shared import ContextOpt, KubeconfigOpt, RepoArg, err, out
from dockyard.errors import InputError, Problem, UsageError
from dockyard.load.files import find_repo
from dockyard.load.yamlsafe import parse
from dockyard.secrets import keys, pgp, rules, store
from dockyard.secrets.diff import changed_keys
from dockyard.secrets.sopsfile import Opened, same
from dockyard.secrets.store import SecretsError, SecretsFile

app = typer.Typer(
    help="Encrypted secrets in the platform repo (SOPS files, age and PGP recipients).", no_args_is_help=True
)
recipients_app = typer.Typer(help="Who can read the repo's secrets (.sops.yaml).", no_args_is_help=True)
app.add_typer(recipients_app, name="recipients")

FileOpt = Annotated[
    str,
    typer.Option(
        "--file",
        "-f",
        help="secrets/platform.yaml, secrets/<environment>.yaml, secrets/<cluster>.yaml "
        "or services/<name>/secrets.yaml.",
    ),
]
EDIT_HEADER = (
    "# Decrypted copy of {file}: it is encrypted again when the editor closes, and this copy removed.\n"
    "# Comments are not kept. Quit without saving to change nothing. Values are YAML: quote what must\n"
    "# stay text exactly (0123, yes, 1e3).\n"
)


@app.command()
def init(
    repo: RepoArg = Path("."),
    recipient: Annotated[
        list[str] | None,
        typer.Option("--recipient", "-r", help="An age public key or a PGP fingerprint that may read (repeatable)."),
    ] = None,
) -> None:
    """Set up encrypted secrets: an age key if you have none, and the recipients rule in .sops.yaml."""
    root = find_repo(repo)
    chosen = [pgp.key_id(key) or key for key in recipient or []]  # as gpg --fingerprint prints it, or sops writes it
    for key in chosen:
        if not keys.valid_recipient(key):
            raise UsageError(
                f"not an age public key or a PGP key: {key} (age1..., or a fingerprint or long key id in hexadecimal)"
            )
    if not chosen:
        found = keys.identities()
        chosen = found.recipients()
        if not chosen:
            target = Path(os.environ.get(keys.KEY_FILE_ENV) or keys.default_key_file())
            if target.absolute().resolve().is_relative_to(root.resolve()):
                raise UsageError(
                    f"{keys.KEY_FILE_ENV} names a file inside the platform repo: a private key never goes there"
                )
            public = keys.create_key_file(target)
            out.print(f"created an age key in {target} (keep it safe and out of the repo)")
            chosen = [public]
        chosen = list(dict.fromkeys(chosen))
    if rules.add_layout_rule(root, chosen):
        out.print(f"wrote {rules.CONFIG_FILE}: secrets files are encrypted to {', '.join(chosen)}")
    else:
        out.print(f"{rules.CONFIG_FILE} already has the rule for secrets files; left as it is")
    out.print("next: printf %s VALUE | dockyard secrets set KEY --file secrets/platform.yaml")


@app.command("set")
def set_command(
    key: Annotated[str, typer.Argument(help="The secret's key, dotted (db.password).")],
    repo: RepoArg = Path("."),
    file: FileOpt = store.PLATFORM_FILE,
) -> None:
    """Set one secret; the value is read from stdin (or asked for without echo), never from arguments."""
    root = find_repo(repo)
    target = store.layer_file(root, file)
    value = _read_value(key)
    found = keys.identities()
    previous = store.open_secrets(target, found)
    values = store.with_value(previous.values if previous else {}, key, value)
    wrote = store.save(target, values, previous)
    out.print(f"{'set' if wrote else 'unchanged:'} {key} in {target.relative}")
    _note_recipients(target, previous)


@app.command("unset")
def unset_command(
    key: Annotated[str, typer.Argument(help="The secret's key, dotted.")],
    repo: RepoArg = Path("."),
    file: FileOpt = store.PLATFORM_FILE,
) -> None:
    """Remove one secret."""
    root = find_repo(repo)
    target = store.layer_file(root, file)
    previous = store.open_secrets(target, keys.identities())
    if previous is None:
        raise UsageError(f"{target.relative} does not exist")
    store.save(target, store.without_value(previous.values, key), previous)
    out.print(f"removed {key} from {target.relative}")
    _note_recipients(target, previous)


@app.command("list")
def list_command(repo: RepoArg = Path(".")) -> None:
    """Every secrets file and its keys (never the values; no key needed)."""
    root = find_repo(repo)
    secrets_files = store.files(root)
    if not secrets_files:
        out.print("no secrets files (dockyard secrets set KEY adds one)")
    for secrets_file in secrets_files:
        out.print(f"{secrets_file.relative}:")
        for name in store.key_names(secrets_file):
            out.print(f"  {name}")


@app.command()
def edit(
    file: Annotated[str, typer.Argument(help="The secrets file, relative to the repo.")],
    repo: RepoArg = Path("."),
) -> None:
    """Edit a secrets file decrypted in $VISUAL/$EDITOR (a private temporary copy, removed after)."""
    root = find_repo(repo)
    target = store.layer_file(root, file)
    previous = store.open_secrets(target, keys.identities())
    store.recipients_for(target)  # before anyone types a value that could not be saved
    values = previous.values if previous else {}
    edited = _edit_in_editor(target, values)
    if edited is None or same(edited, values):
        out.print(f"no change to {target.relative}")
        return
    store.save(target, edited, previous)
    changes = changed_keys(values, edited)
    out.print(f"wrote {target.relative}: {', '.join(f'{kind} {name}' for kind, name in changes)}")
    _note_recipients(target, previous)


@app.command()
def rotate(
    repo: RepoArg = Path("."),
    file: Annotated[
        list[str] | None, typer.Option("--file", "-f", help="Only this file (repeatable; default: every one).")
    ] = None,
) -> None:
    """A new data key for each file, every value encrypted again, to the recipients .sops.yaml names now."""
    root = find_repo(repo)
    targets = [store.layer_file(root, f) for f in file] if file else store.files(root)
    found = keys.identities()
    sealed = []
    for target in targets:  # every file opens and seals before any is written
        previous = store.open_secrets(target, found)
        if previous is None:
            raise UsageError(f"{target.relative} does not exist")
        recipients = store.recipients_for(target)
        sealed.append(store.seal_file(target, previous.values, previous, recipients=recipients, new_key=True))
    for done in sealed:
        store.write(done)
        out.print(f"rotated {done.file.relative}")


@app.command("export-generated")
def export_generated(
    repo: RepoArg = Path("."),
    cluster: Annotated[
        str, typer.Option("--cluster", "-c", help="The cluster whose generated credentials to keep.")
    ] = "",
    file: Annotated[
        str | None, typer.Option("--file", "-f", help="The secrets file (default: secrets/<cluster>.yaml).")
    ] = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
) -> None:
    """Keep the credentials the cluster generated (database passwords, object-store keys, OIDC client
    secrets) in the repo, encrypted, so a cluster rebuilt from git gets the same ones."""
    from dockyard import actions
    from dockyard.deploy.client import Connection
    from dockyard.render.task_secrets import secrets_made
    from dockyard.secrets.generated import GENERATED, read_generated

    if not cluster:
        raise UsageError("--cluster is required: the cluster whose generated credentials to keep")
    root = find_repo(repo)
    platform = actions.platform_for(actions.load_repo(root), cluster)
    target = store.layer_file(root, file or f"secrets/{cluster}.yaml")
    if not target.relative.startswith("secrets/"):
        raise UsageError(f"{target.relative}: generated credentials are kept in a layer file (secrets/<layer>.yaml)")
    found = keys.identities()
    previous = store.open_secrets(target, found)
    bundle = actions.render_for(platform)
    targets = {(m.namespace, m.name): m.keys for request in bundle.tasks for m in secrets_made(request)}
    generated = read_generated(Connection(kubeconfig, context or platform.cluster.kube_context), targets)
    values = dict(previous.values) if previous else {}
    kept: dict[str, Any] = values[GENERATED] if isinstance(values.get(GENERATED), dict) else {}
    merged = {ns: {name: dict(keys_) for name, keys_ in names.items()} for ns, names in kept.items()}
    for namespace, secrets in generated.items():
        for name, secret_values in secrets.items():
            merged.setdefault(namespace, {}).setdefault(name, {}).update(secret_values)
    values[GENERATED] = merged
    wrote = store.save(target, values, previous)
    count = sum(len(v) for names in generated.values() for v in names.values())
    secrets_count = sum(len(names) for names in generated.values())
    verb = "exported" if wrote else "unchanged:"
    out.print(f"{verb} {count} values of {secrets_count} Secrets into {target.relative} (under {GENERATED})")
    _note_recipients(target, previous)


@recipients_app.command("list")
def recipients_list(repo: RepoArg = Path(".")) -> None:
    """The rules of .sops.yaml and the recipients each names."""
    root = find_repo(repo)
    found = rules.read_rules(root)
    if not found:
        out.print(f"no {rules.CONFIG_FILE}: run `dockyard secrets init`")
    for rule in found:
        out.print(f"{rule.path_regex or '(every file)'}:")
        for recipient in rule.recipients:
            out.print(f"  {recipient}")


@recipients_app.command("add")
def recipients_add(
    recipient: Annotated[str, typer.Argument(help="An age public key (age1...) or a PGP key's fingerprint.")],
    repo: RepoArg = Path("."),
) -> None:
    """Let one more key read the secrets files (their data keys are encrypted to it too)."""
    _change_recipients(find_repo(repo), recipient, add=True)


@recipients_app.command("remove")
def recipients_remove(
    recipient: Annotated[str, typer.Argument(help="An age public key (age1...) or a PGP key's fingerprint.")],
    repo: RepoArg = Path("."),
) -> None:
    """Stop a key reading the secrets files: each file gets a new data key, since that key had the old one."""
    _change_recipients(find_repo(repo), recipient, add=False)


@app.command()
def diff(
    repo: RepoArg = Path("."),
    base: Annotated[str, typer.Option("--from", help="The earlier revision.")] = "HEAD",
    head: Annotated[
        str | None, typer.Option("--to", help="The later revision (default: the files as they are now).")
    ] = None,
) -> None:
    """Which secret keys changed between two revisions (never the values)."""
    from dockyard.secrets.diff import diff_revisions

    root = find_repo(repo)
    lines = diff_revisions(root, base, head, keys.identities())
    if not lines:
        out.print("no secret changed")
    for line in lines:
        out.print(line)


def _change_recipients(root: Path, recipient: str, *, add: bool) -> None:
    """Add: the layout's rule names the key, and each file it governs encrypts its data key to it
    too. Remove: no rule names it, and every file encrypted to it gets a new data key (the key
    could open the old one). Every file is opened and sealed before anything is written, and
    .sops.yaml is written last."""
    recipient = pgp.key_id(recipient) or recipient  # as gpg --fingerprint prints it, or sops writes it
    if not keys.valid_recipient(recipient):
        raise UsageError(
            f"not an age public key or a PGP key: {recipient} (age1..., or a fingerprint or long key id in hexadecimal)"
        )
    current = rules.read_rules(root)
    layout = next((r for r in current if r.path_regex == rules.LAYOUT_REGEX), None)
    if layout is None:
        raise UsageError(f"{rules.CONFIG_FILE} has no rule for the secrets files: run `dockyard secrets init`")
    if add:
        changed = {layout.index: [*layout.recipients, recipient]} if recipient not in layout.recipients else {}
    else:
        changed = {r.index: [k for k in r.recipients if k != recipient] for r in current if recipient in r.recipients}
    if any(not recipients for recipients in changed.values()):
        raise UsageError("that is the last recipient of a rule: nobody could read its files")
    updated = [dataclasses.replace(r, recipients=tuple(changed.get(r.index, r.recipients))) for r in current]
    found = keys.identities()
    sealed = []
    for target in store.files(root):
        previous = store.open_secrets(target, found)
        if previous is None:
            continue
        rule = rules.rule_for(updated, target.relative)
        wanted = list(rule.recipients) if rule is not None else []
        has = recipient in store.recipients_of(previous)
        if add and rule is not None and rule.index == layout.index and not has:
            sealed.append(store.seal_file(target, previous.values, previous, recipients=wanted))
        elif not add and has:
            sealed.append(store.seal_file(target, previous.values, previous, recipients=wanted, new_key=True))
    if not changed and not sealed:
        out.print(f"{recipient} {'already reads' if add else 'reads none of'} the secrets files")
        return
    for done in sealed:
        store.write(done)
        out.print(f"{'re-encrypted the data key of' if add else 'rotated'} {done.file.relative}")
    for index, recipients in sorted(changed.items()):
        rules.set_recipients(root, index, recipients)
    out.print(f"{'added' if add else 'removed'} {recipient}")


def _note_recipients(target: SecretsFile, previous: Opened | None) -> None:
    """Who reads a file changes only by `recipients` or `rotate`, never as a side effect: say so
    when .sops.yaml names others than the file is encrypted to."""
    if previous is None:
        return
    wanted = set(store.recipients_for(target))
    if wanted != set(store.recipients_of(previous)):
        out.print(
            f"note: {rules.CONFIG_FILE} names other recipients for {target.relative} than it is encrypted to; "
            f"`dockyard secrets rotate --file {target.relative}` encrypts it to them"
        )


def _read_value(key: str) -> str:
    if sys.stdin.isatty():
        value = getpass.getpass(f"value for {key} (not shown): ")
    else:
        value = sys.stdin.read()
        value = value[:-1] if value.endswith("\n") else value
        value = value[:-1] if value.endswith("\r") else value
    if value == "":
        raise UsageError(f"no value for {key} on stdin (to remove a secret: dockyard secrets unset {key})")
    return value


def _edit_in_editor(target: SecretsFile, values: dict[str, Any]) -> dict[str, Any] | None:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    folder = tempfile.mkdtemp(prefix="dockyard-secrets-")  # 0700: only this user reads the copy
    try:
        copy = Path(folder) / Path(target.relative).name
        descriptor = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        text = EDIT_HEADER.format(file=target.relative) + (_yaml_text(values) if values else "")
        with os.fdopen(descriptor, "w") as stream:
            stream.write(text)
        while True:
            _run_editor(editor, copy, target)
            written = copy.read_bytes()
            if written.decode(errors="replace") == text:
                return None
            try:
                return _edited_values(target, written)
            except (InputError, UsageError) as error:
                if not sys.stdin.isatty():
                    raise
                err.print(str(error))
                if not typer.confirm("edit again (no: change nothing)?", default=True):
                    raise UsageError(f"{target.relative} was not changed") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_editor(editor: str, copy: Path, target: SecretsFile) -> None:
    try:
        finished = subprocess.run([*shlex.split(editor), str(copy)], check=False)
    except OSError as error:
        raise UsageError(f"cannot start the editor `{editor}`: {error.strerror} (set $EDITOR)") from None
    if finished.returncode != 0:
        raise UsageError(f"the editor exited with {finished.returncode}: {target.relative} was not changed")


def _edited_values(target: SecretsFile, written: bytes) -> dict[str, Any]:
    """The edited copy's values. Its problems are told by place only: a YAML message can quote
    what it stumbled on (a tag, an alias, a value), which here is a secret."""
    try:
        document = parse(f"{target.relative} (edited copy)", written)
    except InputError as error:
        raise InputError(
            [
                Problem(
                    error.problems[0].position,
                    "not YAML Dockyard reads here (what the parser said is not shown: it may quote a value)",
                    "plain keys and values only: no tags, anchors or aliases; quote text that looks like "
                    "something else",
                )
            ]
        ) from None
    if document.data is None:
        return {}
    if not isinstance(document.data, dict):
        raise UsageError(f"{target.relative}: a secrets file is a mapping of keys to values; nothing was changed")
    return store.checked_values(document.data)


def _yaml_text(values: dict[str, Any]) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    stream = io.StringIO()
    yaml.dump(values, stream)
    return stream.getvalue()


__all__ = ["SecretsError", "app"]
