"""What the search and the SAT side share, and how they share the cores.

A watcher thread in the search's process (:func:`share`):

* re-checks every model the SAT side sends with the independent evaluation;
  one that checks out is reported like any candidate, and when it is the
  best so far it becomes the local search's next start (``ctx.offer_start``);
* raises the search's lower bound with the SAT side's bounds: a search whose
  cost meets the bound has nothing left to find, and the run ends as
  OPTIMUM FOUND;
* sends the search's incumbent to the SAT side (its bound and phases);
* on a single core (``taskset -c 0``; the MaxSAT Evaluation's rule) makes
  the sides take turns instead of competing (:class:`Turns`).
"""

from __future__ import annotations

import time

from ..verify import evaluate

# How often the search's incumbent may go to the SAT side (it costs a bit-pack and a pipe write).
SEND_EVERY = 0.5
# The SAT side's first turn on one core lasts at most this long (see Turns).
FIRST_TURN_SECONDS = 2.0


class Turns:
    """One core, two sides: the SAT side runs while the search waits at its
    next ``ctx.should_stop()``, then the other way round.

    The SAT side goes first (its model of the hard clauses and RC2's quick
    proofs are worth the most early on), for ``first`` seconds, or until a
    slice has passed with nothing new since its first model or bound: RC2
    still raising its bound keeps the core (an even split from its first
    model doubled the time to a proof that needs a second of RC2: planning
    satellite02ac, 0.64 s of RC2, proven after 1.9 s); then slices alternate, the SAT side's share starting at
    ``sat_share``. A SAT turn that brought nothing (no better model, no
    higher bound) while the search's turn before it improved the best cost
    shrinks the next one, down to ``min_share``; one that brought something
    brings the share back: a side with nothing to offer steps aside. When
    neither side's turn brought anything, the share drifts back towards
    ``sat_share``: a search stuck in a local optimum does not keep the core
    from a SAT search that needs seconds a step (af-synthesis, one core, 60 s:
    the SAT side's linear search ended at 118 on a tenth of the core).
    """

    def __init__(self, side, ctx, first: float = FIRST_TURN_SECONDS, slice_seconds: float = 0.5,
                 sat_share: float = 0.5, min_share: float = 0.1):
        self.side, self.ctx = side, ctx
        self.slice, self.start_share, self.min_share = slice_seconds, sat_share, min_share
        self.share = sat_share
        self.sat_turn = True
        self.useful = False              # the current SAT turn brought something
        self.search_useful = True        # the last search turn improved the best cost
        self.key_at_switch = ctx.best_key
        ctx.pause_search()
        self.switch_at = time.perf_counter() + first
        self.first_turn = True
        self.last_useful = None          # in the first turn: when the SAT side last brought something

    def tick(self, useful: bool = False) -> None:
        now = time.perf_counter()
        self.useful |= useful
        if self.first_turn:
            if useful:
                self.last_useful = now
            quiet = self.last_useful is not None and now - self.last_useful > self.slice
            if now < self.switch_at and not quiet:
                return
            self.first_turn = False
        elif now < self.switch_at:
            return
        self.sat_turn = not self.sat_turn
        if self.sat_turn:
            self.search_useful = self.ctx.best_key != self.key_at_switch
            self.ctx.pause_search()
            self.side.resume()
            self.switch_at = now + 2 * self.slice * self.share
        else:
            if self.useful:
                self.share = self.start_share
            elif self.search_useful:
                self.share = max(self.min_share, self.share * 0.7)
            else:
                self.share = min(self.start_share, self.share / 0.7)
            self.useful = False
            self.key_at_switch = self.ctx.best_key
            self.side.pause()
            self.ctx.resume_search()
            self.switch_at = now + 2 * self.slice * (1 - self.share)

    def end(self) -> None:
        self.ctx.resume_search()


def take_claim(formula, ctx, kind: str, cost: int, a) -> bool:
    """One message of the SAT side, re-checked before it counts: a model or an optimum whose
    independent evaluation does not give its claimed cost is dropped (and said so in
    ``ctx.info["sat_side"]``). True when it brought something: a better model, a higher bound."""
    if kind == "lb":
        useful = ctx.lower_bound is None or cost > ctx.lower_bound
        ctx.raise_lower_bound(cost)
        return useful
    if kind not in ("model", "opt"):
        return False
    ev = evaluate(formula, a)
    if ev.n_hard_unsat or ev.cost != cost:
        ctx.info["sat_side"] = "sent a model that does not check out; ignored"
        return False  # never trust a claim the independent evaluation does not confirm
    useful = ctx.report(a, 0, cost, source="sat") and kind == "model"
    if useful:
        ctx.offer_start(a)
    if kind == "opt":
        ctx.prove_optimum(cost)
        ctx.info["sat_side"] = "proved the optimum"
    return useful


def share(side, ctx, search_over, turns=None) -> None:
    """The watcher's loop, until the search ends, the SAT side is done, or it proves the optimum."""
    formula = side.formula
    sent, last_send = None, 0.0
    try:
        while not search_over.is_set() and not ctx.stopped():
            useful = False               # a better model or a higher bound
            for kind, cost, a in side.messages(0.05):
                useful |= take_claim(formula, ctx, kind, cost, a)
                if kind == "opt" and ctx.proven_cost is not None:
                    return
            if side.finished:
                ctx.info.setdefault("sat_side", "done: nothing more to offer")
                return
            key, now = ctx.best_key, time.perf_counter()
            if key is not None and key[0] == 0 and (sent is None or key[1] < sent) and now - last_send >= SEND_EVERY \
                    and ctx.best_source != "sat":
                side.send_incumbent(key[1], ctx.best_assignment)
                sent, last_send = key[1], now
            if turns is not None:
                turns.tick(useful)
    finally:
        if turns is not None:
            turns.end()
        if ctx.proven_cost is not None and ctx.info.get("sat_side") == "started":
            ctx.info["sat_side"] = "proved the optimum: its lower bound meets the best cost"
