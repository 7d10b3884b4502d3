"""The OpenLEADR side of ``bench/signature``: OpenLEADR 0.5.36 signing and verifying its messages.

This script runs under the private OpenLEADR interpreter (``tests/openleadr_env.py`` builds it),
never under ours. ``run.py`` starts it once and talks to it in JSON lines, one request on stdin,
one answer on stdout:

``{"op": "setup", "workload": {...}, "keys": {KEY: {"cert": pem, "key": pem, "ours": xml}}}``
    Stores the workload (a ``bench/codec`` workload spec) and, per key type, the signer's
    certificate and private key as PEM text (what an OpenLEADR VTN reads from its files) and a
    document signed by us. For each key it signs and verifies one message, checks that a tampered
    message and a replayed one are refused, and verifies and parses our document. Answers
    ``{"version", "python", "signxml", "openssl", "keys": {KEY: {"fingerprint", "document"}}}``.
``{"op": "sign_verify", "key": KEY, "seconds": S, "max_count": N, "key_once": bool}``
    Times full sign + verify iterations for about ``S`` seconds (at most ``N`` of them) and
    answers ``{"count", "elapsed"}``. ``key_once`` passes the private key as an object loaded
    once, with ``openleadr.messaging.load_private_key`` patched to accept it (only while this
    loop runs); otherwise OpenLEADR runs as shipped, with the key as PEM bytes.
``{"op": "split", "key": KEY, "seconds": S, "max_count": N}``
    The same loop (as shipped), each step timed on its own: answers ``{"count", "elapsed",
    "steps": {STEP: seconds in all}}``.

One iteration is what an OpenLEADR VTN and VEN do for one signed message: ``create_message(...,
cert=, key=)`` on the sending side; ``validate_xml_schema``, ``validate_xml_signature(tree,
cert_fingerprint=)`` and ``parse_message`` on the receiving side (the VEN's order, in
``OpenADRClient._perform_request``). Signing and verifying happen in the same loop because
OpenLEADR's replay window is 5 s: messages signed ahead of time would go stale.

OpenLEADR's nonce cache (``messaging.NONCE_CACHE``) is process-global and walked in full on every
verified message; it is emptied before each timed loop, so that every loop starts alike and the
check below can count. That favours OpenLEADR: a busy receiver holds 5 s of traffic in it.
After each loop the checks are: the cache holds exactly one nonce per iteration (every iteration
verified a fresh message), a replay of the last message is refused, and the last parse shows the
event and all its interval values.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography.hazmat.backends.openssl import backend
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from openleadr import messaging, utils  # type: ignore[import-not-found, unused-ignore]
from openleadr.messaging import (  # type: ignore[import-not-found, unused-ignore]
    NONCE_CACHE,
    create_message,
    parse_message,
    validate_xml_schema,
    validate_xml_signature,
)
from signxml.exceptions import InvalidDigest  # type: ignore[import-not-found, unused-ignore]

Json = dict[str, Any]
STEPS = ("sign", "validate schema", "validate signature", "parse")


def _codec_side() -> ModuleType:
    """``bench/codec/openleadr_side.py``, for its workload (arguments, parse check)."""
    path = Path(__file__).resolve().parents[1] / "codec" / "openleadr_side.py"
    spec = importlib.util.spec_from_file_location("bench_codec_openleadr_side", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


codec_side = _codec_side()


def timed(step: Callable[[], object], seconds: float, max_count: int) -> tuple[int, float, object]:
    """Call ``step`` until ``seconds`` have passed or ``max_count`` calls were made."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        result = step()
        count += 1
        now = time.perf_counter()
        if now >= deadline or count >= max_count:
            return count, now - start, result


@contextlib.contextmanager
def key_loaded_once() -> Iterator[None]:
    """Let ``create_message`` take a key object: OpenLEADR then loads no PEM per message.

    ``create_message`` passes its ``key`` to ``load_private_key`` (to pick the signature method)
    and to signxml's ``XMLSigner.sign``, which takes key objects already.
    """
    shipped = messaging.load_private_key

    def load_private_key(key_data: Any, passphrase: Any = None) -> Any:
        if isinstance(key_data, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            return key_data
        return shipped(key_data, passphrase)

    messaging.load_private_key = load_private_key
    try:
        yield
    finally:
        messaging.load_private_key = shipped


class KeySide:
    """One signer (certificate and key, as an OpenLEADR VTN holds them) and its receiver."""

    def __init__(self, workload: Any, cert: str, key: str) -> None:
        self.workload = workload
        self.cert = cert.encode()  # OpenLEADR reads both files as bytes
        self.key = key.encode()
        self.key_object = messaging.load_private_key(self.key)
        self.fingerprint: str = utils.certificate_fingerprint(self.cert)

    def sign(self, key: Any = None) -> str:
        payload = self.workload.payload
        message_type = self.workload.message_type
        return str(create_message(message_type, cert=self.cert, key=key or self.key, **payload))

    def receive(self, data: str) -> tuple[str, Json]:
        tree = validate_xml_schema(data)
        validate_xml_signature(tree, cert_fingerprint=self.fingerprint)
        message_type, payload = parse_message(data)
        return message_type, payload

    def sign_verify(self) -> tuple[str, tuple[str, Json]]:
        data = self.sign()
        return data, self.receive(data)

    def sign_verify_key_once(self) -> tuple[str, tuple[str, Json]]:
        data = self.sign(self.key_object)
        return data, self.receive(data)

    def refuses(self, data: str, expected: type[Exception], words: str = "") -> bool:
        """Whether receiving ``data`` fails with ``expected`` (its message containing ``words``)."""
        try:
            self.receive(data)
        except expected as exc:
            return words in str(exc)
        return False

    def check(self, data: str, parsed: tuple[str, Json], count: int | None = None) -> None:
        """The parse is right, a replay is refused and (given ``count``) every iteration verified."""
        self.workload.check(parsed)
        if count is not None and len(NONCE_CACHE) != count:
            raise AssertionError(f"{count} iterations, but {len(NONCE_CACHE)} nonces verified")
        if not self.refuses(data, ValueError, "already used"):
            raise AssertionError("OpenLEADR accepted a replayed message")


def setup(request: Json, keys: dict[str, KeySide]) -> Json:
    workload = codec_side.Workload(request["workload"])
    keys.clear()
    answer: Json = {}
    for name, spec in request["keys"].items():
        side = keys[name] = KeySide(workload, spec["cert"], spec["key"])
        data, parsed = side.sign_verify()
        side.check(data, parsed)
        if not side.refuses(tamper(side.sign(), json.dumps(workload.expect["values"][0])), InvalidDigest):
            raise AssertionError("OpenLEADR accepted a tampered message")
        workload.check(side.receive(spec["ours"]))  # our signature verifies under OpenLEADR
        with key_loaded_once():
            data, parsed = side.sign_verify_key_once()
            side.check(data, parsed)
        answer[name] = {"fingerprint": side.fingerprint, "document": data}
    return {
        "version": importlib.metadata.version("openleadr"),
        "python": sys.version.split()[0],
        "signxml": importlib.metadata.version("signxml"),
        "openssl": backend.openssl_version_text(),
        "keys": answer,
    }


def tamper(data: str, first_value: str) -> str:
    """``data`` with its first interval value changed (still schema-valid)."""
    changed = data.replace(f"<ei:value>{first_value}</ei:value>", "<ei:value>99</ei:value>", 1)
    if changed == data:
        raise AssertionError(f"cannot find the interval value {first_value} to tamper with")
    return changed


def handle(request: Json, keys: dict[str, KeySide]) -> Json:
    op = request["op"]
    if op == "setup":
        return setup(request, keys)
    side = keys[request["key"]]
    seconds = float(request["seconds"])
    max_count = int(request["max_count"])
    if op == "sign_verify":
        NONCE_CACHE.clear()
        if request.get("key_once"):
            with key_loaded_once():
                count, elapsed, result = timed(side.sign_verify_key_once, seconds, max_count)
        else:
            count, elapsed, result = timed(side.sign_verify, seconds, max_count)
        data, parsed = result  # type: ignore[misc]
        side.check(data, parsed, count)
        return {"count": count, "elapsed": elapsed}
    if op == "split":
        NONCE_CACHE.clear()
        spent = dict.fromkeys(STEPS, 0.0)
        clock = time.perf_counter
        count = 0
        start = clock()
        deadline = start + seconds
        while True:
            t0 = clock()
            data = side.sign()
            t1 = clock()
            tree = validate_xml_schema(data)
            t2 = clock()
            validate_xml_signature(tree, cert_fingerprint=side.fingerprint)
            t3 = clock()
            parsed = parse_message(data)
            t4 = clock()
            spent["sign"] += t1 - t0
            spent["validate schema"] += t2 - t1
            spent["validate signature"] += t3 - t2
            spent["parse"] += t4 - t3
            count += 1
            if t4 >= deadline or count >= max_count:
                break
        elapsed = t4 - start
        side.check(data, parsed, count)
        return {"count": count, "elapsed": elapsed, "steps": spent}
    raise ValueError(f"unknown op {op!r}")


def main() -> None:
    keys: dict[str, KeySide] = {}
    codec_side.serve(handle, keys)


if __name__ == "__main__":
    main()
