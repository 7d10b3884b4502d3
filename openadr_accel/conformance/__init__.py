"""The conformance suite: every case of the OpenADR 2.0b certification catalogue, runnable
against our own VEN and VTN and against a vendor's device (a certification dry run).

- :mod:`.case`: what a case is, its verdicts, the registry (:data:`.case.REGISTRY`).
- :mod:`.cases`: the cases, one module per catalogue group and device role.
- :mod:`.harness_vtn` and :mod:`.harness_ven`: the harness in each role.
- :mod:`.devices`: the device under test as a case sees it; external devices, driven by a person.
- :mod:`.our_ven` and :mod:`.our_vtn`: our own VEN and VTN as devices under test.
- :mod:`.runner`: runs cases and concludes.
"""
