"""The living demo behind ``make run`` (``appeals demo``): who may get in, the processes it runs
and stops, and the compact view of what happens, apart from the command that ties them."""
