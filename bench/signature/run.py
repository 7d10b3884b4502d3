"""bench/signature: sign + verify of a signed oadrDistributeEvent, against OpenLEADR 0.5.36.

The message is ``bench/codec``'s ``distributeEvent`` workload (one event of 24 one-hour
intervals), signed by the VTN certificate of a fresh test PKI (``init_pki``, in a temporary
directory), RSA-2048 and ECC P-256. Two goals:

- sign + verify: at least 20x OpenLEADR's rate as shipped. One iteration signs a message and
  accepts it on the other side. Ours: ``SignatureVerifier.parse(Signer.serialize(message),
  certificate=...)`` (parse, XSD validation, signature, ReplayProtect, decode). OpenLEADR's:
  ``create_message(..., cert=, key=)``, then ``validate_xml_schema``, ``validate_xml_signature``
  and ``parse_message``. OpenLEADR runs in its own process (``openleadr_side.py``), as in
  ``bench/codec``; it loads the PEM private key on every message, as shipped. A column shows it
  with its key loaded once (patched inside its process only), for information.
- RSA-2048 signing (``Signer.serialize``) within 3x of the private-key operation alone
  (cryptography's ``key.sign`` of the same canonical SignedInfo, PKCS#1 v1.5 with SHA-256); the
  ECC ratio (ECDSA with SHA-256) is printed too, with no goal.

Rounds interleave the sides (reversed order on odd rounds); the tables show median rates over
rounds, ratios of the medians and the range of the per-round ratios, then each side's steps.

Run from the repository root with the package installed (``pip install -e .``)::

    python bench/signature/run.py                  # 5 rounds of 1.2 s per loop, about 65 s
    python bench/signature/run.py --rounds 9 --seconds 2
    python bench/signature/run.py --profile 25     # cProfile of our sign + verify only, top 25

Not a test and not run in CI: it prints figures for a person to read.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import datetime as dt
import importlib.metadata
import importlib.util
import io
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography import x509
from cryptography.hazmat.backends.openssl import backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

import openadr_accel
from openadr_accel import model as m
from openadr_accel.errors import ReplayError, SignatureError
from openadr_accel.security import (
    KeyType,
    ReplayGuard,
    SignatureVerifier,
    Signer,
    fingerprint,
    init_pki,
    load_certificate,
)
from openadr_accel.xml import decode, parse_tree, serialize
from openadr_accel.xml.namespaces import DS

SIDE_SCRIPT = Path(__file__).with_name("openleadr_side.py")
CODEC_RUN = Path(__file__).resolve().parents[1] / "codec" / "run.py"
GOAL_SIGN_VERIFY = 20.0
"""At least this many times OpenLEADR's sign + verify rate (as shipped)."""
GOAL_RSA_SIGN = 3.0
"""RSA-2048 signing costs at most this many times the private-key operation alone."""
MAX_COUNT = 100_000
"""Every timed loop stops after this many calls, if its time is not up before."""
KEYS = {"RSA-2048": KeyType.RSA, "ECC P-256": KeyType.ECC}

Json = dict[str, Any]


def _load_codec() -> ModuleType:
    """``bench/codec/run.py`` (not a package), for its workload, timing and OpenLEADR pipe."""
    spec = importlib.util.spec_from_file_location("bench_codec_run", CODEC_RUN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


codec = _load_codec()


# ============================================================================================
# Our side: a signer, its receiver and the private-key operation alone
# ============================================================================================


@dataclass
class OurKey:
    """The VTN's credentials of one key type: our signer, and what the receiver expects."""

    name: str
    key_type: KeyType
    signer: Signer
    certificate: x509.Certificate
    """The expected signer, loaded once (as a VEN holds its VTN's certificate)."""
    cert_pem: str
    key_pem: str
    signed_info: bytes = b""
    """The canonical SignedInfo of one of our signatures: what the private key signs."""

    @classmethod
    def load(cls, name: str, key_type: KeyType, certificate: Path, key: Path) -> OurKey:
        signer = Signer(certificate, key)
        leaf = load_certificate(certificate)
        return cls(
            name=name,
            key_type=key_type,
            signer=signer,
            certificate=leaf,
            cert_pem=leaf.public_bytes(serialization.Encoding.PEM).decode(),
            key_pem=key.read_text(),
        )

    def verifier(self) -> SignatureVerifier:
        """A receiver with a fresh replay guard, big enough for one timed loop."""
        return SignatureVerifier(ReplayGuard(max_nonces=MAX_COUNT))

    def raw_sign(self) -> Callable[[], bytes]:
        """cryptography's ``key.sign`` of our canonical SignedInfo, nothing else."""
        key, data, sha256 = self.signer.key, self.signed_info, hashes.SHA256()
        if isinstance(key, ec.EllipticCurvePrivateKey):
            ecdsa = ec.ECDSA(sha256)
            return lambda: key.sign(data, ecdsa)
        pkcs1 = padding.PKCS1v15()
        return lambda: key.sign(data, pkcs1, sha256)

    def check_signed_info(self, data: bytes) -> None:
        """Find the canonical SignedInfo of ``data`` and check that its SignatureValue signs it."""
        root = etree.fromstring(data)
        signed_info = root.find(f"{{{DS}}}Signature/{{{DS}}}SignedInfo")
        value = root.findtext(f"{{{DS}}}Signature/{{{DS}}}SignatureValue")
        assert signed_info is not None
        assert value is not None
        self.signed_info = etree.tostring(signed_info, method="c14n", exclusive=True)
        signature = base64.b64decode(value)
        public_key = self.signer.key.public_key()
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            half = len(signature) // 2
            r, s = int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            public_key.verify(encode_dss_signature(r, s), self.signed_info, ec.ECDSA(hashes.SHA256()))
        else:
            public_key.verify(signature, self.signed_info, padding.PKCS1v15(), hashes.SHA256())


def timed(step: Callable[[], object], seconds: float, max_count: int = MAX_COUNT) -> tuple[int, float, Any]:
    """Call ``step`` until ``seconds`` have passed or ``max_count`` calls were made
    (the loop of ``openleadr_side.timed``)."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        result = step()
        count += 1
        now = time.perf_counter()
        if now >= deadline or count >= max_count:
            return count, now - start, result


def refused(verifier: SignatureVerifier, key: OurKey, data: bytes, expected: type[Exception]) -> bool:
    """Whether ``verifier`` refuses ``data`` with ``expected``."""
    try:
        verifier.parse(data, certificate=key.certificate)
    except expected:
        return True
    return False


def sign_verify_step(
    key: OurKey, payload: m.Payload, verifier: SignatureVerifier
) -> Callable[[], tuple[bytes, m.Payload]]:
    """One iteration: sign ``payload``, then accept it with ``verifier`` (the public API only)."""
    signer, certificate = key.signer, key.certificate

    def step() -> tuple[bytes, m.Payload]:
        data = signer.serialize(payload)
        return data, verifier.parse(data, certificate=certificate)

    return step


def our_sign_verify(key: OurKey, payload: m.Payload, seconds: float) -> float:
    """Time sign + verify through the public API; check every iteration verified; the rate."""
    verifier = key.verifier()
    count, elapsed, (data, message) = timed(sign_verify_step(key, payload, verifier), seconds)
    if message != payload:
        raise AssertionError(f"{key.name}: our sign + verify changed the message")
    if len(verifier.replay_guard) != count:
        raise AssertionError(f"{key.name}: {count} iterations, {len(verifier.replay_guard)} nonces checked")
    if not refused(verifier, key, data, ReplayError):
        raise AssertionError(f"{key.name}: a replayed message was accepted")
    return count / elapsed


def our_sign(key: OurKey, payload: m.Payload, seconds: float) -> float:
    count, elapsed, data = timed(lambda: key.signer.serialize(payload), seconds)
    if key.verifier().parse(data, certificate=key.certificate) != payload:
        raise AssertionError(f"{key.name}: our last signed message does not verify to the message")
    return count / elapsed


def raw_sign(key: OurKey, seconds: float) -> float:
    count, elapsed, signature = timed(key.raw_sign(), seconds)
    public_key = key.signer.key.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, key.signed_info, ec.ECDSA(hashes.SHA256()))
    else:
        public_key.verify(signature, key.signed_info, padding.PKCS1v15(), hashes.SHA256())
    return count / elapsed


OUR_STEPS = ("serialize", "sign", "parse + XSD", "signature", "decode")


def our_split(key: OurKey, payload: m.Payload, seconds: float) -> tuple[int, dict[str, float]]:
    """The sign + verify loop cut into the calls ``Signer.serialize`` and
    ``SignatureVerifier.parse`` make, each timed inside the loop; the count and seconds per step."""
    verifier, signer, certificate = key.verifier(), key.signer, key.certificate
    spent = dict.fromkeys(OUR_STEPS, 0.0)
    clock = time.perf_counter
    count = 0
    deadline = clock() + seconds
    while True:
        t0 = clock()
        document = serialize(payload)
        t1 = clock()
        data = signer.sign(document)
        t2 = clock()
        root = parse_tree(data)
        t3 = clock()
        verifier.verify(root, certificate=certificate)
        t4 = clock()
        message = decode(root)
        t5 = clock()
        for step, start, end in zip(OUR_STEPS, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5), strict=True):
            spent[step] += end - start
        count += 1
        if t5 >= deadline or count >= MAX_COUNT:
            break
    if message != payload or len(verifier.replay_guard) != count:
        raise AssertionError(f"{key.name}: our split loop did not verify every message")
    return count, spent


# ============================================================================================
# OpenLEADR's side
# ============================================================================================


class SignatureSide(codec.OpenLEADRSide):  # type: ignore[misc, name-defined]
    """``bench/signature/openleadr_side.py`` under OpenLEADR's interpreter, over the codec's pipe."""

    def __init__(self, python: Path) -> None:
        self.process = subprocess.Popen(
            [str(python), str(SIDE_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=SIDE_SCRIPT.parent,
        )


# ============================================================================================
# Rounds
# ============================================================================================


@dataclass
class Results:
    """Per key: rates (per second) per round, and seconds per message per step and round."""

    ours: dict[str, list[float]] = field(default_factory=dict)
    theirs: dict[str, list[float]] = field(default_factory=dict)
    theirs_key_once: dict[str, list[float]] = field(default_factory=dict)
    our_sign: dict[str, list[float]] = field(default_factory=dict)
    raw_sign: dict[str, list[float]] = field(default_factory=dict)
    our_steps: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    their_steps: dict[str, dict[str, list[float]]] = field(default_factory=dict)


def add(table: dict[str, list[float]], key: str, value: float) -> None:
    table.setdefault(key, []).append(value)


def run_rounds(
    keys: list[OurKey],
    payload: m.Payload,
    side: SignatureSide,
    args: argparse.Namespace,
    results: Results,
) -> None:
    seconds, half = args.seconds, args.seconds / 2
    timeout = 4 * seconds + 60

    def theirs(op: str, key: str, loop_seconds: float, **extra: Any) -> Json:
        request = {"op": op, "key": key, "seconds": loop_seconds, "max_count": MAX_COUNT, **extra}
        return side.ask(request, timeout)

    for index in range(args.rounds):
        for key in keys:
            name = key.name

            def rate(answer: Json) -> float:
                return float(answer["count"] / answer["elapsed"])

            tasks: list[Callable[[], None]] = [
                lambda key=key: add(results.ours, key.name, our_sign_verify(key, payload, seconds)),
                lambda name=name: add(results.theirs, name, rate(theirs("sign_verify", name, seconds))),
            ]
            if not args.no_key_once:
                tasks.append(
                    lambda name=name: add(
                        results.theirs_key_once,
                        name,
                        rate(theirs("sign_verify", name, seconds, key_once=True)),
                    )
                )
            signing: list[Callable[[], None]] = [
                lambda key=key: add(results.our_sign, key.name, our_sign(key, payload, half)),
                lambda key=key: add(results.raw_sign, key.name, raw_sign(key, half)),
            ]
            # Reversed on odd rounds: no side always gets the quieter (or warmer) slot.
            for task in (tasks + signing) if index % 2 == 0 else (tasks[::-1] + signing[::-1]):
                task()

            count, spent = our_split(key, payload, half)
            for step, total in spent.items():
                results.our_steps.setdefault(name, {}).setdefault(step, []).append(total / count)
            answer = theirs("split", name, half)
            for step, total in answer["steps"].items():
                results.their_steps.setdefault(name, {}).setdefault(step, []).append(total / answer["count"])
        print(f"  round {index + 1}/{args.rounds} done", file=sys.stderr, flush=True)


# ============================================================================================
# Report
# ============================================================================================


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(ratios: list[float]) -> str:
    return f"{min(ratios):.1f}-{max(ratios):.1f}"


def print_header(args: argparse.Namespace, setup: Json) -> None:
    print(f"bench/signature  {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"  openadr_accel {openadr_accel.__version__}, Python {platform.python_version()}, "
        f"cryptography {importlib.metadata.version('cryptography')} ({backend.openssl_version_text()}), "
        f"signxml {importlib.metadata.version('signxml')}, "
        f"lxml {'.'.join(map(str, etree.LXML_VERSION))}"
    )
    print(
        f"  OpenLEADR {setup['version']} (Python {setup['python']}, own process), "
        f"signxml {setup['signxml']}, {setup['openssl']}"
    )
    print(
        f"  {os.cpu_count()} CPUs, {platform.machine()}; {args.rounds} rounds of {args.seconds:g} s "
        f"per sign + verify loop ({args.seconds / 2:g} s per signing and split loop)"
    )


def print_sizes(keys: list[OurKey], payload: m.Payload, setup: Json) -> None:
    print(
        "\nSigned oadrDistributeEvent (1 event, 24 intervals); each side verifies and parses "
        "the other's to the same message"
    )
    print(f"  {'key':<10} {'ours bytes':>10} {'OpenLEADR bytes':>16}  fingerprint")
    for key in keys:
        theirs = setup["keys"][key.name]
        ours = len(key.signer.serialize(payload))
        print(f"  {key.name:<10} {ours:>10} {len(theirs['document'].encode()):>16}  {theirs['fingerprint']}")


def print_tables(keys: list[OurKey], results: Results) -> None:
    key_once = bool(results.theirs_key_once)
    print(
        "\nSign + verify per second (one message signed, then XSD-validated, verified, parsed),"
        " median of rounds"
    )
    header = (
        f"  {'key':<10} {'ours /s':>8} {'OpenLEADR /s':>13} {'ratio':>7} {'per-round':>10}  "
        f"goal {GOAL_SIGN_VERIFY:g}x "
    )
    if key_once:
        header += f" | {'OpenLEADR key once /s':>21} {'ratio':>7} {'per-round':>10}"
    print(header)
    for key in keys:
        ours, theirs = results.ours[key.name], results.theirs[key.name]
        ratio = median(ours) / median(theirs)
        verdict = "met" if ratio >= GOAL_SIGN_VERIFY else "NOT met"
        line = (
            f"  {key.name:<10} {median(ours):>8.0f} {median(theirs):>13.1f} {ratio:>6.1f}x "
            f"{spread([o / t for o, t in zip(ours, theirs, strict=True)]):>10}  {verdict:<9}"
        )
        if key_once:
            once = results.theirs_key_once[key.name]
            per_round = spread([o / t for o, t in zip(ours, once, strict=True)])
            line += f" | {median(once):>21.1f} {median(ours) / median(once):>6.1f}x {per_round:>10}"
        print(line)

    print(
        "\nSigning (Signer.serialize: serialize + sign) against the private-key operation alone "
        "(key.sign of the same SignedInfo), median of rounds"
    )
    print(
        f"  {'key':<10} {'ours µs':>9} {'key.sign µs':>12} {'ratio':>7} {'per-round':>10}  "
        f"goal within {GOAL_RSA_SIGN:g}x"
    )
    for key in keys:
        ours, raw = results.our_sign[key.name], results.raw_sign[key.name]
        ratio = median(raw) / median(ours)  # rates: time ratio = raw rate / our rate
        per_round = spread([r / o for o, r in zip(ours, raw, strict=True)])
        if key.key_type is KeyType.RSA:
            verdict = "met" if ratio <= GOAL_RSA_SIGN else "NOT met"
        else:
            verdict = "(no goal)"
        print(
            f"  {key.name:<10} {1e6 / median(ours):>9.1f} {1e6 / median(raw):>12.1f} {ratio:>6.1f}x "
            f"{per_round:>10}  {verdict}"
        )

    print(
        "\nOur steps, µs per message (median of rounds; each step timed inside one sign + verify loop; "
        "verify = SignatureVerifier.parse)"
    )
    print(
        f"  {'key':<10} "
        + " ".join(f"{step:>11}" for step in OUR_STEPS)
        + f" | {'sign':>7} {'verify':>7} {'total':>7}"
    )
    for key in keys:
        steps = {step: 1e6 * median(values) for step, values in results.our_steps[key.name].items()}
        sign = steps["serialize"] + steps["sign"]
        verify = steps["parse + XSD"] + steps["signature"] + steps["decode"]
        print(
            f"  {key.name:<10} "
            + " ".join(f"{steps[step]:>11.1f}" for step in OUR_STEPS)
            + f" | {sign:>7.1f} {verify:>7.1f} {sign + verify:>7.1f}"
        )

    print("\nOpenLEADR steps, µs per message (median of rounds; as shipped; sign = create_message)")
    their_steps = list(next(iter(results.their_steps.values())))
    print(f"  {'key':<10} " + " ".join(f"{step:>18}" for step in their_steps) + f" | {'total':>8}")
    for key in keys:
        steps = [1e6 * median(results.their_steps[key.name][step]) for step in their_steps]
        print(
            f"  {key.name:<10} " + " ".join(f"{value:>18.1f}" for value in steps) + f" | {sum(steps):>8.1f}"
        )


_SIGNATURE_PY = "openadr_accel/security/signature.py"
PROFILE_SUMMARY: tuple[tuple[str, str, str, tuple[str, str] | None], ...] = (
    ("Signer.serialize", _SIGNATURE_PY, "serialize", None),
    ("  serialize (codec)", "openadr_accel/xml/__init__.py", "serialize", None),
    ("  Signer.sign", _SIGNATURE_PY, "sign", None),
    ("    parse_tree (no XSD)", "openadr_accel/xml/parser.py", "parse_tree", (_SIGNATURE_PY, "sign")),
    ("    key.sign", "~", "<method 'sign' of", None),
    ("SignatureVerifier.parse", _SIGNATURE_PY, "parse", None),
    ("  parse_tree (+ XSD)", "openadr_accel/xml/parser.py", "parse_tree", (_SIGNATURE_PY, "parse")),
    ("  SignatureVerifier.verify", _SIGNATURE_PY, "verify", None),
    ("    signxml XMLVerifier.verify", "signxml/verifier.py", "verify", None),
    ("      key.verify", "~", "<method 'verify' of", None),
    ("  decode", "openadr_accel/xml/decode.py", "decode", None),
)
"""Where the time goes: (label, file suffix, function name or ``<`` builtin prefix, only
the calls from this (file suffix, function))."""


def _matches(where: tuple[str, int, str], suffix: str, name: str) -> bool:
    filename, _, function = where
    return filename.endswith(suffix) and (function == name or (name[0] == "<" and function.startswith(name)))


def profile_summary(stats: pstats.Stats, count: int) -> None:
    """Cumulative µs per message of the calls that make up a sign + verify."""
    entries: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    print(f"  where the time goes, cumulative µs per message under cProfile ({count} messages):")
    for label, suffix, name, caller in PROFILE_SUMMARY:
        total = 0.0
        for where, (_, _, _, cumulative, callers) in entries.items():
            if not _matches(where, suffix, name):
                continue
            if caller is None:
                total += cumulative
            else:
                total += sum(cost[3] for who, cost in callers.items() if _matches(who, *caller))
        print(f"    {label:<32} {1e6 * total / count:>9.1f}")


def profile(keys: list[OurKey], payload: m.Payload, top: int, seconds: float) -> None:
    """cProfile our sign + verify loop of each key for ``seconds``; print the ``top`` functions."""
    for key in keys:
        step = sign_verify_step(key, payload, key.verifier())

        step()  # warm up outside the profile
        profiler = cProfile.Profile()
        profiler.enable()
        count, _, _ = timed(step, seconds)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        print(f"\n=== {key.name}: {count} sign + verify under cProfile ===")
        profile_summary(stats, count)
        stats.strip_dirs().sort_stats("tottime").print_stats(top)
        print(f"\n  top {top} by own time")
        print(out.getvalue().split("\n", 3)[-1].strip("\n"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=1.2,
        help="seconds per sign + verify loop and side (half that per signing and split loop); at most 4",
    )
    parser.add_argument(
        "--no-key-once", action="store_true", help="skip the informative OpenLEADR-with-key-loaded-once loops"
    )
    parser.add_argument(
        "--openleadr-python", help="OpenLEADR's interpreter (default: tests/openleadr_env.py)"
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="TOP",
        help="instead: cProfile our sign + verify, print the TOP functions",
    )
    args = parser.parse_args(argv)
    # At most 4 s: OpenLEADR's replay window is 5 s, and its side counts the nonces of a loop.
    if args.rounds < 1 or not 0 < args.seconds <= 4:
        parser.error("--rounds must be at least 1 and --seconds in (0, 4]")

    workload = codec.distribute_event()
    payload = workload.ours
    with tempfile.TemporaryDirectory(prefix="bench-signature-") as directory:
        pki = init_pki(directory)
        keys = [
            OurKey.load(name, key_type, pki.vtn(key_type).certificate, pki.vtn(key_type).key)
            for name, key_type in KEYS.items()
        ]
    ours_signed = {}
    for key in keys:
        data = key.signer.serialize(payload)
        key.check_signed_info(data)
        if key.verifier().parse(data, certificate=key.certificate) != payload:
            raise SystemExit(f"{key.name}: our signed message does not verify to the message")
        tampered = data.replace(b"<ei:value>0.10</ei:value>", b"<ei:value>99</ei:value>", 1)
        if tampered == data or not refused(key.verifier(), key, tampered, SignatureError):
            raise SystemExit(f"{key.name}: a tampered message was not refused")
        ours_signed[key.name] = data.decode()
    if args.profile:
        profile(keys, payload, args.profile, args.seconds)
        return 0

    try:
        side = SignatureSide(codec.find_openleadr_python(args.openleadr_python))
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        raise SystemExit(f"cannot start OpenLEADR's side: {exc}") from exc
    try:
        setup = side.ask(
            {
                "op": "setup",
                "workload": workload.openleadr_spec(),
                "keys": {
                    key.name: {"cert": key.cert_pem, "key": key.key_pem, "ours": ours_signed[key.name]}
                    for key in keys
                },
            },
            timeout=120,
        )
        for key in keys:
            theirs = setup["keys"][key.name]
            # The same signer and the same content: OpenLEADR's signed message verifies here
            # against our expected certificate and means exactly our message.
            if theirs["fingerprint"] != fingerprint(key.certificate):
                raise SystemExit(f"{key.name}: OpenLEADR computes another fingerprint of the certificate")
            if key.verifier().parse(theirs["document"].encode(), certificate=key.certificate) != payload:
                raise SystemExit(f"{key.name}: OpenLEADR's signed document does not carry our message")
        print_header(args, setup)
        print_sizes(keys, payload, setup)
        sys.stdout.flush()
        results = Results()
        run_rounds(keys, payload, side, args, results)
    finally:
        side.close()
    print_tables(keys, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
