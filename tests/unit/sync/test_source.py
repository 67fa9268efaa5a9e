"""The sync controller's source: one branch fetched with the real git, each revision exported safely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dockyard.sync.source import GitSource, SourceUnavailable, redacted
from tests.helpers import commit_all, git, write


def test_a_new_commit_is_fetched_and_each_revision_is_its_own_tree(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    write(origin, "platform.yaml", "name: one\n")
    first = commit_all(origin, "first")
    source = GitSource(str(origin), "main", tmp_path / "cache")
    revision = source.fetch()
    assert (revision.sha, revision.subject) == (first, "first")
    tree = source.checkout(revision)
    assert (tree / "platform.yaml").read_text() == "name: one\n"
    write(origin, "platform.yaml", "name: two\n")
    second = commit_all(origin, "second: rename")
    newer = source.fetch()
    assert (newer.sha, newer.subject) == (second, "second: rename")
    assert (source.checkout(newer) / "platform.yaml").read_text() == "name: two\n"
    assert (tree / "platform.yaml").read_text() == "name: one\n"  # an exported revision never changes
    assert git(source.mirror, "rev-parse", "--is-shallow-repository").strip() == "true"


def test_an_unreachable_source_or_a_missing_branch_is_a_clear_error(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    write(origin, "platform.yaml", "name: one\n")
    commit_all(origin, "first")
    with pytest.raises(
        SourceUnavailable, match=r"git fetch .* \(release\): .*couldn't find remote ref refs/heads/release"
    ):
        GitSource(str(origin), "release", tmp_path / "cache").fetch()
    source = GitSource(str(origin), "main", tmp_path / "cache")
    source.fetch()
    shutil.rmtree(origin)
    with pytest.raises(SourceUnavailable, match="git fetch"):
        source.fetch()


def test_links_out_of_the_tree_are_not_exported(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    write(origin, "platform.yaml", "name: one\n")
    (origin / "escape").symlink_to("/etc/passwd")
    commit_all(origin, "a link out")
    source = GitSource(str(origin), "main", tmp_path / "cache")
    with pytest.raises(SourceUnavailable, match="cannot export"):
        source.checkout(source.fetch())


def test_credentials_in_the_url_are_never_shown(tmp_path: Path) -> None:
    assert redacted("https://bot:ghp_token123@git.example.org/org/platform.git") == (
        "https://bot:***@git.example.org/org/platform.git"
    )
    assert redacted("git@git.example.org:org/platform.git") == "git@git.example.org:org/platform.git"
    source = GitSource("https://bot:ghp_token123@127.0.0.1:9/org/platform.git", "main", tmp_path / "cache")
    with pytest.raises(SourceUnavailable) as raised:
        source.fetch()
    assert "ghp_token123" not in str(raised.value)


def test_only_commits_signed_by_an_allowed_key_pass(tmp_path: Path) -> None:
    import subprocess

    from dockyard.sync.source import UnsignedCommit

    key = tmp_path / "signer"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"tests@dockyard.invalid {(tmp_path / 'signer.pub').read_text()}")
    origin = tmp_path / "origin"
    write(origin, "platform.yaml", "name: one\n")
    commit_all(origin, "unsigned")
    source = GitSource(str(origin), "main", tmp_path / "cache")
    with pytest.raises(UnsignedCommit, match=r"commit [0-9a-f]{12} is not signed by an allowed key"):
        source.verify(source.fetch(), allowed)
    write(origin, "platform.yaml", "name: two\n")
    git(origin, "add", "--all")
    git(origin, "-c", "gpg.format=ssh", "-c", f"user.signingkey={key}.pub", "commit", "-q", "-S", "-m", "signed")
    source.verify(source.fetch(), allowed)  # the shallow mirror holds the signature
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    allowed.write_text(f"tests@dockyard.invalid {(tmp_path / 'other.pub').read_text()}")
    with pytest.raises(UnsignedCommit):
        source.verify(source.fetch(), allowed)


def test_https_credentials_come_from_a_directory_of_files_and_are_never_shown(tmp_path: Path) -> None:
    from tests.gitserver import serve_git

    origin = tmp_path / "origin"
    write(origin, "platform.yaml", "name: one\n")
    first = commit_all(origin, "first")
    served = tmp_path / "served"
    git(tmp_path, "clone", "--quiet", "--bare", str(origin), str(served / "platform.git"))
    server, refused = serve_git(served, ("platform-bot", "tok-3f9a1c"))
    url = f"http://127.0.0.1:{server.server_address[1]}/platform.git"
    try:
        with pytest.raises(SourceUnavailable, match="could not read Username"):
            GitSource(url, "main", tmp_path / "none").fetch()  # git never prompts: no credentials, no fetch
        secret = tmp_path / "secret"  # a kubernetes.io/basic-auth Secret, mounted
        write(secret, "username", "platform-bot")
        write(secret, "password", "tok-3f9a1c\n")
        source = GitSource(url, "main", tmp_path / "cache", credentials=secret)
        assert source.fetch().sha == first
        assert "tok-3f9a1c" not in (tmp_path / "cache" / "askpass").read_text()
        write(secret, "password", "tok-wrong-77")
        with pytest.raises(SourceUnavailable, match="Authentication failed") as raised:
            GitSource(url, "main", tmp_path / "cache", credentials=secret).fetch()
        assert "tok-wrong-77" not in str(raised.value)
        assert refused  # the wrong password reached the server and was refused there
    finally:
        server.shutdown()


def test_an_ssh_key_and_known_hosts_come_from_a_directory_of_files(tmp_path: Path) -> None:
    """What the real ssh client would use for git's SSH transport (`ssh -G` prints its settings;
    no SSH server runs here)."""
    import subprocess

    secret = tmp_path / "ssh secret"  # a kubernetes.io/ssh-auth Secret and its hosts, mounted
    write(secret, "ssh-privatekey", "not read by ssh -G\n")
    write(secret, "known_hosts", "git.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH1\n")
    env = GitSource("git@git.example.org:org/platform.git", "main", tmp_path / "cache", credentials=secret)._env()
    shown = subprocess.run(
        ["sh", "-c", env["GIT_SSH_COMMAND"] + ' -G "$0"', "git.example.org"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    ).stdout.splitlines()
    assert f"identityfile {secret}/ssh-privatekey" in shown
    assert f"userknownhostsfile {secret}/known_hosts" in shown
    assert {"batchmode yes", "stricthostkeychecking true", "identitiesonly yes"} <= set(shown)
    assert "GIT_ASKPASS" not in env


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(root.rglob("*"))
        if p.name != ".dockyard-complete"
    }


def test_a_revision_derived_from_the_last_export_is_the_revision_and_leaves_that_export_alone(
    tmp_path: Path,
) -> None:
    origin = tmp_path / "origin"
    write(origin, "platform.yaml", "name: one\n")
    write(origin, "services/a/score.yaml", "a: 1\n")
    write(origin, "services/b/score.yaml", "b: 1\n")
    write(origin, "services/b/overrides/prod.yaml", "x: 1\n")
    commit_all(origin, "first")
    source = GitSource(str(origin), "main", tmp_path / "cache")
    first = source.checkout(source.fetch())
    before = _tree(first)
    write(origin, "services/a/score.yaml", "a: 2\n")  # changed
    shutil.rmtree(origin / "services/b")  # a service gone: its folders too
    write(origin, "services/c/score.yaml", "c: 1\n")  # added
    second_sha = commit_all(origin, "second")
    derived = source.checkout(source.fetch())
    full = GitSource(str(origin), "main", tmp_path / "fresh-cache")
    assert _tree(derived) == _tree(full.checkout(full.fetch()))  # as if exported whole
    assert not (derived / "services/b").exists()
    assert _tree(first) == before  # hard links, never written through
    assert (derived / "platform.yaml").stat().st_ino == (first / "platform.yaml").stat().st_ino
    assert (derived / "services/a/score.yaml").stat().st_ino != (first / "services/a/score.yaml").stat().st_ino
    assert (derived / ".dockyard-complete").read_text() == second_sha + "\n"


def test_a_link_in_the_revision_is_exported_whole_and_still_checked(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    write(origin, "platform.yaml", "name: one\n")
    commit_all(origin, "first")
    source = GitSource(str(origin), "main", tmp_path / "cache")
    source.checkout(source.fetch())
    (origin / "escape").symlink_to("/etc/passwd")
    commit_all(origin, "a link out")
    with pytest.raises(SourceUnavailable, match="cannot export"):
        source.checkout(source.fetch())


def test_the_askpass_program_needs_nothing_but_the_shell(tmp_path: Path) -> None:
    """The image has a shell and no other tools (no cat): the answers come from builtins alone."""
    import subprocess

    from dockyard.sync.source import ASKPASS, CREDENTIALS_ENV

    secret = tmp_path / "secret"
    write(secret, "username", "platform-bot")
    write(secret, "password", "tok-3f9a1c")  # no newline at the end, as `kubectl create secret` writes it
    program = write(tmp_path, "askpass", ASKPASS)
    program.chmod(0o700)
    env = {CREDENTIALS_ENV: str(secret), "PATH": str(tmp_path / "no-tools")}
    asked = [
        subprocess.run([str(program), prompt], env=env, capture_output=True, text=True, check=True).stdout
        for prompt in ("Username for 'https://git.example.org': ", "Password for 'https://bot@git.example.org': ")
    ]
    assert asked == ["platform-bot\n", "tok-3f9a1c\n"]


def test_a_folder_that_becomes_a_file_is_exported_as_it_is(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    write(origin, "platform.yaml", "name: one\n")
    write(origin, "notes/a.md", "a\n")
    commit_all(origin, "first")
    source = GitSource(str(origin), "main", tmp_path / "cache")
    source.checkout(source.fetch())
    shutil.rmtree(origin / "notes")
    write(origin, "notes", "a file now\n")
    commit_all(origin, "a folder becomes a file")
    tree = source.checkout(source.fetch())
    assert (tree / "notes").read_text() == "a file now\n"
    assert [p.name for p in source.checkouts.iterdir() if p.name.startswith(".")] == []  # no staging left
