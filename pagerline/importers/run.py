"""``pagerline import pagerduty|opsgenie``: read, apply, report, then check who is on call.

Exit status (also in the command's help and docs/operations/migrating.md):

- 0: imported (or, with ``--dry-run``, planned), and the on-call check found no difference
  other than the expected ones (people the import left out);
- 1: the other service could not be read, or pagerline refused a change (nothing was changed),
  or the check could not read the other service's on-call times (the import is kept);
- 2: wrong arguments;
- 3: imported, but the on-call check found differences: scripts notice, people read them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal, TextIO

from pagerline.engine.core.errors import EngineError
from pagerline.importers.apply import apply_bundle
from pagerline.importers.compare import compare_on_call
from pagerline.importers.model import ImportReader, ImportSourceError
from pagerline.importers.report import render, render_differences, system_name

EXIT_OK, EXIT_FAILED, EXIT_DIFFERENCES = 0, 1, 3

DEFAULT_BASE_URLS = {"pagerduty": "https://api.pagerduty.com", "opsgenie": "https://api.opsgenie.com"}


def build_reader(system: Literal["pagerduty", "opsgenie"], api_key: str, base_url: str) -> ImportReader:
    """The reader of one service (imported only when asked for)."""
    if system == "pagerduty":
        from pagerline.importers.pagerduty import PagerDutyReader

        return PagerDutyReader(api_key, base_url)
    from pagerline.importers.opsgenie import OpsgenieReader

    return OpsgenieReader(api_key, base_url)


async def run_import(
    reader: ImportReader,
    *,
    dry_run: bool,
    now: datetime,
    public_url: str,
    email_domain: str | None,
    compare: bool = True,
    weeks: int = 4,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Read everything first (no transaction is open while the network is), apply it in one
    transaction, print the report; then, unless it was a dry run, compare the next ``weeks``
    of every imported schedule with the old service and print the differences."""
    out, err = out or sys.stdout, err or sys.stderr
    name = system_name(reader.system)
    command = f"pagerline import {reader.system}"
    try:
        try:
            bundle = await reader.read()
        except ImportSourceError as exc:
            print(f"{command}: could not read {name}: {exc}; nothing was changed", file=err)
            return EXIT_FAILED
        try:
            report = await apply_bundle(bundle, dry_run=dry_run, now=now, public_url=public_url, email_domain=email_domain)
        except EngineError as exc:
            print(f"{command}: pagerline refused a change: {exc.message}; nothing was changed", file=err)
            return EXIT_FAILED
        print(render(report), file=out)
        if dry_run or not compare or report.mapping is None:
            return EXIT_OK
        try:
            differences = await compare_on_call(reader, report, now, weeks)
        except ImportSourceError as exc:
            print(f"{command}: imported, but could not read who is on call in {name} to compare: {exc}", file=err)
            return EXIT_FAILED
        print("", file=out)
        print(render_differences(differences, reader.system, now, now + timedelta(weeks=weeks), len(report.mapping.schedules)), file=out)
        return EXIT_DIFFERENCES if any(d.expected is None for d in differences) else EXIT_OK
    finally:
        await reader.close()


async def import_command(
    system: Literal["pagerduty", "opsgenie"],
    api_key: str,
    base_url: str | None,
    *,
    dry_run: bool,
    compare: bool,
    weeks: int,
    public_url: str,
    email_domain: str | None,
    now: datetime,
    reader_factory: Callable[[Literal["pagerduty", "opsgenie"], str, str], ImportReader] = build_reader,
) -> int:
    """What the CLI runs (the database already initialised)."""
    try:
        reader = reader_factory(system, api_key, (base_url or DEFAULT_BASE_URLS[system]).rstrip("/"))
    except ImportError as exc:
        print(f"pagerline import {system}: this installation has no {system_name(system)} reader ({exc})", file=sys.stderr)
        return EXIT_FAILED
    return await run_import(
        reader, dry_run=dry_run, now=now, public_url=public_url, email_domain=email_domain, compare=compare, weeks=weeks
    )
