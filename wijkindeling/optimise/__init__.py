"""Optimise a Problem into a plan with an honest status.

``solve(problem, ...)`` is the one entry point the CLI and the other stages use. Strategy:

1. cheap necessary conditions (``diagnosis.quick_causes``): a proof of infeasibility ends here; then the
   blocks every valid plan keeps whole (keep-together groups; parts hanging on one buurt when that brings
   the problem within the exact enumeration's size) are contracted into single units (``contract.py``)
   and the rest runs on the smaller problem;
2. heuristic (``heuristic.py``): recursive spanning-tree bisection + local search, fast valid plans;
3. exact: for up to 62 units, every connected district within the bounds is enumerated and the
   set-partitioning model is solved by column generation + HiGHS (``exact.py``): proven optimal
   or proven infeasible; when the enumeration is too large, the flow MIP (``flow_mip.py``) warm-started
   from the heuristic plan gives a dual bound and gap within the time left;
4. above 62 units: first the same enumeration on multi-word masks (``exact.enumerate_wide``), when the connected
   districts within the bounds are few (dense cities: Utrecht's 111 buurten give 8,723 at 42 areas): then the
   set-partitioning model as in 3 (proven optimal or infeasible), with an exact-cover search over the districts
   (``exact.cover_search``) for a first plan when the tree bisection finds none. Otherwise column generation with
   a pricing MIP (``colgen.py``) gives a Lagrangian lower bound (status ``gap``) and the restricted master, solved
   as an integer program, may improve the plan; where that model is not built (the 197-buurt region), the
   rounded-capacity bound on the identity term (``colgen.capacity_bound``) is reported. Too many districts to
   list but buurten short of partners (``local_proof.py``: the graph alone) prove that no plan exists; an instance
   of several municipalities where the heuristic finds no plan is split (``decompose.py``: the densest
   municipality by the exact model, the rest by the heuristic, joined and improved across the borders).

K=1 is answered at once (the single area is either valid, so optimal, or the problem is infeasible).

The returned :class:`Solution`'s ``objective`` is always ``metrics.objective`` of its plan, and
``status`` is ``optimal`` only when HiGHS proved it (``gap`` with a bound, ``heuristic`` without), and HiGHS's
answers are checked against the model (``highs.read_highs``: a reported objective that the solution does not have
is never called optimal). Without a plan,
the diagnosis (``diagnosis.py``) gives the reason (a cheap check, or the exact model's certificate in words) and
the tightest verified relaxation.

Modules, by role (each layer imports only the layers below it; the contract is in ``pyproject.toml``):

* the strategy: ``strategy.py`` (the strategy above: ``solve``, ``alternatives``, ``sweep``, ``diagnose``
  and the :class:`Solution` they return);
* built on the methods: ``diagnosis.py`` (why no plan exists, and verified relaxations), ``colgen.py``
  (column generation above 62 units, with its restricted master as an integer program) and ``decompose.py``
  (several municipalities solved part by part);
* ``local_proof.py`` (a proof of infeasibility from the graph alone, for instances too large to list);
* the methods: ``exact.py`` (enumerated districts and the set-partitioning model), ``pool.py`` (districts
  from spanning-tree cuts for column generation), ``flow_mip.py`` (the flow MIP via PuLP), ``heuristic.py``
  (tree bisection and local search), ``contract.py`` (blocks every valid plan keeps whole);
* shared by all: ``districts.py`` (the district cost model, rule checks, trees and union-find),
  ``highs.py`` (every HiGHS run) and ``progress.py`` (the terminal's progress line).
"""

from .strategy import Progress, Solution, SweepRow, alternatives, diagnose, solve, sweep

__all__ = ["Progress", "Solution", "SweepRow", "alternatives", "diagnose", "solve", "sweep"]
