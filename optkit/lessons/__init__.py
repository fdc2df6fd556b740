"""One room per lesson: ``optkit.lessons.<slug>`` holds the code notebook ``NN_<slug>`` needs.

Rooms import the shared core (``optkit.bench``, ``optkit.plot``, ``optkit.machine``, ...) and,
where a lesson builds on an earlier one, that earlier room; never a later one.
"""
