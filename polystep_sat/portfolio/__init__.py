"""The portfolio beside the search: a SAT-based side and what it shares.

* :mod:`.sat_search`  the SAT-based search (model of the hard clauses,
                      core-guided search with lower bounds, solution-improving
                      linear search), run in the child process;
* :mod:`.first_try`   its first phases in the search's own process, briefly,
                      before anything else starts (small formulas);
* :mod:`.child`       that process: ``python -m polystep_sat.portfolio.child``;
* :mod:`.messages`    the one-line messages between the two processes;
* :mod:`.side`        the child as the search sees it: start, messages, stop;
* :mod:`.sharing`     the watcher that shares models, bounds and incumbents,
                      and the turns the two take on a single core.

The default method (:mod:`polystep_sat.methods.auto`) puts it together.
"""
