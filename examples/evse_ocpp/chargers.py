"""Simulated EV chargers that connect to an OCPP central system (``run.py`` beside this file), to
try the VEN without hardware.

Each charger is ``ID:VERSION:MAX_W`` (VERSION ``2.0.1`` or ``1.6``); by default CP-1 (OCPP 2.0.1,
11 kW) and CP-2 (OCPP 1.6, 7.4 kW). They draw as much as their limit allows and send MeterValues
every few seconds, printing every profile they accept or reject, until Ctrl-C::

    python examples/evse_ocpp/chargers.py --url ws://127.0.0.1:9000
    python examples/evse_ocpp/chargers.py --url ws://127.0.0.1:9000 CP-7:1.6:22000 --reject CP-7
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from datetime import UTC, datetime
from decimal import Decimal

from openadr_accel.evse.limits import OcppVersion
from openadr_accel.evse.simulator import SimulatedCharger


def charger_spec(text: str) -> tuple[str, OcppVersion, Decimal]:
    """``ID:VERSION:MAX_W`` read."""
    try:
        charger_id, version, max_power = text.split(":")
        return charger_id, OcppVersion(version), Decimal(max_power)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a charger is ID:VERSION:MAX_W (e.g. CP-1:2.0.1:11000), not {text!r}"
        ) from None


async def simulate(url: str, specs: list[tuple[str, OcppVersion, Decimal]], rejecting: set[str]) -> None:
    """Run the chargers until SIGINT or SIGTERM, printing what each holds and draws."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        chargers = []
        for charger_id, version, max_power in specs:
            charger = SimulatedCharger(
                charger_id,
                url,
                version=version,
                max_power_w=max_power,
                accept_profiles=charger_id not in rejecting,
                meter_interval=5.0,
            )
            await stack.enter_async_context(charger)
            chargers.append(charger)
            print(f"{charger_id} (OCPP {version.value}, {max_power} W) connected to {url}", flush=True)
        seen: dict[str, tuple[int, int, int, Decimal]] = {}
        while not stop.is_set():
            for charger in chargers:
                state = (len(charger.history), charger.rejected, len(charger.schedules), charger.power_w())
                if state != seen.get(charger.charger_id):
                    seen[charger.charger_id] = state
                    now = datetime.now(UTC)
                    print(
                        f"{now:%H:%M:%S} {charger.charger_id}: {len(charger.schedules)} profile(s) held, "
                        f"{charger.rejected} rejected; limit now {charger.limit_at(now)}, "
                        f"drawing {charger.power_w()} W",
                        flush=True,
                    )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


def main() -> None:
    """Parse the flags and run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", default="ws://127.0.0.1:9000", help="the central system (default: %(default)s)"
    )
    parser.add_argument("chargers", nargs="*", type=charger_spec, help="ID:VERSION:MAX_W, repeatable")
    parser.add_argument(
        "--reject", action="append", default=[], help="a charger ID that rejects every profile"
    )
    args = parser.parse_args()
    specs = args.chargers or [
        ("CP-1", OcppVersion.V201, Decimal(11_000)),
        ("CP-2", OcppVersion.V16, Decimal(7_400)),
    ]
    asyncio.run(simulate(args.url, specs, set(args.reject)))


if __name__ == "__main__":
    main()
