"""The VEN role (being built, issue 5). So far, its protocol logic without I/O:

- :mod:`openadr_accel.ven.distribution`: reading an oadrDistributeEvent against the known events;
- :mod:`openadr_accel.ven.schedule`: an event's moments (start, interval changes, end) for a VEN,
  randomization included.
"""
