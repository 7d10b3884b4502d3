"""A VEN that is also an OCPP central system: OpenADR events become charging limits.

Chargers (OCPP 2.0.1 or 1.6) connect to ``ws://HOST:PORT/<charger id>``; the VEN registers with
the VTN, turns each event into site power limits through the policy file and sends every
connected charger its share as a max-profile (ChargingStationMaxProfile / ChargePointMaxProfile)
before it answers the event; a charger that rejects its profile makes the VEN opt out. The
chargers' MeterValues are offered to the VTN as a TELEMETRY_USAGE report.

Run it until Ctrl-C (see README.md beside this file)::

    python examples/evse_ocpp/run.py --vtn-url http://127.0.0.1:8080 --ven-name charging-site \\
        --store site-ven.db --ws-port 9000 --policy examples/evse_ocpp/policy.toml
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from datetime import timedelta
from pathlib import Path

from openadr_accel.evse.bridge import EventSeen, EventStage, LimitsApplied, Notice, OptedOut
from openadr_accel.evse.policy import LimitPolicy
from openadr_accel.evse.site import EvseSite
from openadr_accel.ven.config import VenConfig

HERE = Path(__file__).parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vtn-url", required=True, help="the VTN's URL before /OpenADR2/Simple/2.0b/")
    parser.add_argument("--ven-name", default="charging-site", help="oadrVenName (default: %(default)s)")
    parser.add_argument("--store", type=Path, default=Path("site-ven.db"), help="the VEN's SQLite file")
    parser.add_argument(
        "--ws-host", default="127.0.0.1", help="where chargers connect (default: %(default)s)"
    )
    parser.add_argument("--ws-port", type=int, default=9000, help="the OCPP port (default: %(default)s)")
    parser.add_argument(
        "--policy",
        type=Path,
        default=HERE / "policy.toml",
        help="the limit policy (default: policy.toml here)",
    )
    parser.add_argument(
        "--poll-frequency",
        type=float,
        default=10.0,
        help="seconds between polls at most (default: %(default)s)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="the library's info logs too")
    return parser.parse_args(argv)


def show(notice: Notice) -> None:
    """Print what the bridge does, one line each."""
    if isinstance(notice, EventSeen):
        print(f"event {notice.event_id} #{notice.modification_number}: {notice.opt.value} ({notice.reason})")
    elif isinstance(notice, EventStage):
        values = "".join(f" {v.signal_name}={v.value}" for v in notice.values if v.value is not None)
        limit = "none" if notice.site_limit_w is None else f"{notice.site_limit_w:.0f} W"
        print(f"event {notice.event_id} {notice.stage.value}{values}; site limit now {limit}")
    elif isinstance(notice, LimitsApplied):
        for outcome in notice.outcomes:
            schedule = notice.schedules.get(outcome.charger_id)
            if schedule is None:
                what = "limit cleared"
            else:
                what = ", ".join(
                    f"{p.limit_w:.0f} W from {(schedule.start + p.start):%H:%M:%S}" for p in schedule.periods
                )
            print(f"  {outcome.charger_id}: {what}: {outcome.status} ({notice.reason})")
    elif isinstance(notice, OptedOut):
        print(f"event {notice.event_id}: opted out afterwards ({notice.reason})")
    sys.stdout.flush()


async def serve(args: argparse.Namespace) -> None:
    """Run the VEN and its central system until SIGINT or SIGTERM."""
    policy = LimitPolicy.from_toml(args.policy)
    site = EvseSite(
        VenConfig(
            vtn_url=args.vtn_url.rstrip("/"),
            ven_name=args.ven_name,
            poll_frequency=timedelta(seconds=args.poll_frequency),
        ),
        args.store,
        policy,
        ocpp_host=args.ws_host,
        ocpp_port=args.ws_port,
        observer=show,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with site.running():
        print(
            f"VEN {args.ven_name}: VTN {args.vtn_url}, store {args.store}; "
            f"chargers connect to {site.central.url}/<charger id>; policy {args.policy} "
            f"(site capacity {policy.site_capacity_w} W, split {policy.split_rule.value})",
            flush=True,
        )
        await stop.wait()
    print("stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Parse the flags and run."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s"
    )
    try:
        asyncio.run(serve(args))
    except (ValueError, OSError) as exc:  # a bad policy file, a port in use
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
