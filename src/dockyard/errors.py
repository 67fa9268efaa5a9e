"""Every exception Dockyard raises on purpose.

Reported to a person (each a DockyardError; the CLI prints its message, never a traceback):

    DockyardError                   anything Dockyard reports to a person (exit 1 unless below)
    ├── UsageError                  the command line itself is wrong (exit 2)
    ├── InputError                  the platform repo is invalid; carries every Problem found
    ├── ToolBuildError              a local control plane binary could not be built
    ├── localcluster: KindUnavailable, NotReady, LocalClusterError
    ├── render:       OutputError (the output directory refused a write)
    ├── check:        SchemasMissing, PolicyEngineFailed (a check could not run: nothing applies)
    ├── secrets:      SecretsError (no key at hand opens a file; a change cannot be made)
    ├── deploy:       ConnectionFailed, ApplyFailed, PruneRefused, InventoryNotSaved,
    │                 TaskFailed, UnknownTask
    ├── console:      NotFound (no such service), Forbidden (the person may not), GitError
    │                 (git refused a commit or could not be run), RunRefused (a job's run
    │                 cannot be started, cancelled or read; RunMissing: no such run), PlanBusy
    │                 (one plan at a time)
    └── cli:          PullError (some charts could not be pulled; the others were)

Internal to one step, caught there and turned into a Problem (with its place) or one of the
above before it leaves the step; never seen by a person as such:

    load      YamlProblem (a file that is not safe YAML), Refused (a path outside the repo)
    charts    FetchFailed, BadYaml, BadManifests, HelmFailed, UnsafeArchive, PullFailed
    render    Unresolved ($ref), Unresolvable (placeholder), ProvisionError, ContractUnusable,
              WorkloadProblem, _Unsure (the quick proof of a contract gives way to the full validator)
    migrate   Unreadable (YAML the round trip cannot keep as written)
    secrets   SecretsLocked (no identity opens a data key: the CLI names where keys were looked for),
              _Undecryptable (a value that does not decrypt: a Problem at its line),
              PgpError (gpg missing, or it cannot encrypt to a key: a SecretsError with the file)
    model     Unusable (a repo secret's key holds no encrypted value: a Problem at its line)
    sync      SourceUnavailable (git cannot fetch or export: the cycle reports it and changes nothing)
    console   Refused (a request may not go on: an HTML or JSON answer with its status),
              CannotEdit (a file the form cannot change as written: an error on the form, at its field),
              NameTaken (a secret or disk named as another resource: a CannotEdit at its field),
              NotAFile (a path of a file the form keeps as written: a CannotEdit at the files),
              _TooLarge (a request body over the limit: a 413),
              SignInFailed (the identity provider cannot be asked or believed: a 400 or 502 page)
              ForgeError (the forge did not open a pull request: kept with the pushed branch, shown)

A `Problem` is one finding with its place: ``FILE:LINE:COL: message`` plus an optional hint.
There is one way to collect them: a step is handed a `Problems` (errors and warnings) and adds to
it. A function that can only fail one way, at once (a file that is not YAML, an unreadable
charts.lock), raises an InputError with that problem instead; a caller that goes on folds it in
with `Problems.attempt(...)` or `Problems.collecting()`. At the end the step calls
`raise_if_any()`, so a person sees every mistake at once. A check whose only product is what it
finds returns its problems as a list, which the caller's `Problems` extends with. Errors are
translated once, at the CLI edge, into exit codes and lines of text (the README's table of exit
codes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Control characters (escape sequences, newlines, carriage returns), bidirectional overrides and
lone surrogates: what would let text from a file rewrite the terminal or forge a line of output."""


def printable(text: str, keep_newlines: bool = False) -> str:
    """`text` safe to print: every character that could act on a terminal is shown escaped (`\\x1b`)."""

    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        if keep_newlines and char == "\n":
            return char
        return char.encode("unicode_escape", "backslashreplace").decode("ascii")

    return _UNPRINTABLE.sub(escape, text)


@dataclass(frozen=True, order=True)
class Position:
    """A place in a file of the platform repo: path relative to the repo, 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return printable(self.file)
        return f"{printable(self.file)}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, where it is, and what to do about it."""

    position: Position
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.position}: {printable(self.message)}"
        if self.hint:
            text += f"\n  hint: {printable(self.hint)}"
        return text


@dataclass
class Problems:
    """What a step found: errors (nothing goes on) and warnings (said, not fatal), in the order found."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def append(self, problem: Problem) -> None:
        self.errors.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.errors.extend(problems)

    def warn(self, problem: Problem) -> None:
        self.warnings.append(problem)

    def merge(self, other: Problems) -> None:
        """Add `other`'s errors and warnings, each once."""
        self.errors += [p for p in other.errors if p not in self.errors]
        self.warnings += [p for p in other.warnings if p not in self.warnings]

    @contextmanager
    def collecting(self) -> Iterator[None]:
        """Run a block whose InputError is one more set of errors, said with the rest."""
        try:
            yield
        except InputError as error:
            self.errors.extend(error.problems)

    def attempt(self, step: Callable[[], T]) -> T | None:
        """`step()`, or None when it raises an InputError (whose problems are added here)."""
        try:
            return step()
        except InputError as error:
            self.errors.extend(error.problems)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise InputError(self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.errors)

    def __len__(self) -> int:
        return len(self.errors)


class DockyardError(Exception):
    """Base of every error Dockyard reports to a person."""

    exit_code = 1


class UsageError(DockyardError):
    """The command line is wrong (an unknown cluster, a missing repo): exit 2."""

    exit_code = 2


class InputError(DockyardError):
    """The platform repo is invalid. Carries every problem found, sorted by position."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.position, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class ToolBuildError(DockyardError):
    """A binary of the local control plane could not be built from its Go module."""
