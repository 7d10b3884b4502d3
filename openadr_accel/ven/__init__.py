"""The VEN role (being built, issue 5): so far the reading of oadrDistributeEvent
(:mod:`openadr_accel.ven.distribution`)."""
