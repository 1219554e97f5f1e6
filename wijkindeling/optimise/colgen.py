"""Column generation for the set-partitioning LP on instances too large to enumerate (n > 62).

The restricted master LP (RMP) holds districts found so far (from heuristic plans and from
pricing); the pricing problem is a MIP over one district ``x`` (connected by a single-commodity
flow from a root, population in ``[lo, hi]``, the hard rules) minimising the reduced cost
``cost(x) - pi·x - mu``. ``cost`` is the per-district cost of :func:`.districts.district_costs`
(balance ``|P - T|``, catchment pairs, groups touched, half the boundary cost), linearised:

* balance: ``b >= P - T``, ``b >= T - P``;
* identity: ``y_g >= x_u`` for every member ``u`` of group ``g``;
* compactness: ``e_uv >= x_u - x_v`` and ``e_uv >= x_v - x_u`` for every edge;
* catchment: ``z_uv <= x_u``, ``z_uv <= x_v`` for every (practice, patient) pair (negative cost).

Whatever the duals ``(pi, mu)``, the Lagrangian bound ``sum(pi) + K * min_S (cost(S) - pi(S))`` is
a valid lower bound on the LP, so on every plan; with HiGHS's dual bound on the pricing optimum in
place of the minimum it stays valid when pricing stops early. The bound reported is the best one
seen; it reaches the LP optimum when pricing proves no column has negative reduced cost.

Rounded-capacity cuts strengthen the LP where the identity term needs it: an identity group with
more inhabitants than the maximum must touch at least ``r_g = ceil(P_g / hi)`` areas in every plan,
so ``sum over districts touching g of lambda >= r_g`` is valid (the plain LP only knows ``P_g / hi``).
Their duals ``sigma_g >= 0`` lower the cost of ``y_g`` in the pricing MIP (where ``y_g <= sum x_u``
keeps ``y_g`` = "touches g" exact) and add ``sum r_g sigma_g`` to the Lagrangian bound.

The exact pricing runs per root (:meth:`Pricer.price_by_root`): every district has one lowest unit, so the
minimum is the least of one MIP per root, each fixed to its root and to the units it can reach within the
maximum (:func:`root_reach`). Their LP relaxations are solved first and order the MIPs; a root whose LP value is
not below the least reduced cost found so far is skipped. On Stichtse Vecht this proves the minimum in a few
seconds where the MIP over all roots stopped at its limit without a proof (its LP relaxation, with the root
free, is weak). The reported bound is at least :func:`capacity_bound`.

Cheap pricing comes first at every iteration: the district pool of ``pool.py``, districts grown from
seed units (:func:`grow_columns`) and local search on the master's support (:func:`improve_columns`);
the pricing MIP (:class:`Pricer`) runs when those stop adding districts. :func:`master_ip` solves the
restricted master over the generated districts as an integer program for a plan.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..model.metrics import objective_coefficients
from ..model.problem import Problem
from . import highs
from .districts import district_costs, district_parts, group_matrix
from .exact import Columns, solve_columns
from .pool import recom_pool

if TYPE_CHECKING:
    import highspy


@dataclass
class CGResult:
    """What :func:`column_generation` found: the bound, and the generated districts for :func:`master_ip`."""

    bound: float | None  # best valid lower bound on every plan's objective
    lp_value: float | None  # last restricted-master LP value (an upper bound on the LP optimum)
    converged: bool  # pricing proved the LP optimal (bound == LP optimum)
    member: np.ndarray  # (C, n) bool: the generated districts
    cost: np.ndarray  # their costs (without the plan constant)
    constant: float
    iterations: int
    seconds: float
    history: list = field(default_factory=list)  # (seconds, rmp value, best Lagrangian bound so far)


def _max_units(problem: Problem) -> int:
    """Most units a district within the population maximum can hold."""
    pops = np.sort(problem.population.astype(float))
    return max(1, int(np.searchsorted(np.cumsum(pops), problem.hi, side="right")))


def group_cuts(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """The rounded-capacity cuts: identity groups too large for one area, and the fewest areas each must touch.

    Returns
    -------
    groups : numpy.ndarray
        Indices (int) of the identity groups whose population ``P_g`` is above the maximum.
    need : numpy.ndarray
        ``ceil(P_g / hi)`` (float) for each: every valid plan has at least that many areas touching the group.
    """
    pop = problem.population.astype(float)
    idx, need = [], []
    for g, members in enumerate(problem.group_members):
        r = int(np.ceil(pop[members].sum() / problem.hi - 1e-9))
        if r >= 2:
            idx.append(g)
            need.append(r)
    return np.array(idx, dtype=int), np.array(need, dtype=float)


def capacity_bound(problem: Problem) -> float:
    """A lower bound on every plan's objective from the rounded-capacity argument alone (0 when it gives none).

    Every identity group with more inhabitants than the maximum touches at least ``r_g = ceil(P_g / hi)`` areas
    (:func:`group_cuts`), so the identity term is at least ``sum_g (r_g - 1)`` and the objective at least the
    identity weight times that: the other terms are never negative. Column generation reports the larger of this
    and its Lagrangian bound, so an instance it leaves with a weak or negative Lagrangian bound still gets one.
    """
    _, need = group_cuts(problem)
    return problem.weights.identity * float((need - 1).sum())


def reduced_costs(member: np.ndarray, cost: np.ndarray, pi: np.ndarray, mu: float, sigma: np.ndarray,
                  touch: np.ndarray) -> np.ndarray:
    """cost(S) - pi(S) - mu - sigma(cut groups S touches) of every district (rows of ``member``).

    ``cost`` are the districts' costs, ``pi`` the unit duals, ``mu`` the K row's dual, ``sigma`` the cut
    duals and ``touch`` the cut groups' membership (:func:`.districts.group_matrix`).
    """
    rc = cost - member.astype(float) @ pi - mu
    if len(sigma):
        rc -= (member.astype(float) @ touch.T.astype(float) > 0) @ sigma
    return rc


class Pricer:
    """The pricing MIP, built once; only the costs of the unit variables change per call.

    One district ``x``: connected (single-commodity flow from its lowest unit), within the population
    bounds and the hard rules; see the module docstring for the cost's linearisation.
    """

    def __init__(self, problem: Problem, threads: int = 1, seed: int = 1,
                 cuts: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Build the MIP for ``problem`` (HiGHS with ``threads`` and ``seed``).

        ``cuts``: the :func:`group_cuts` whose duals ``price`` takes, in the master's row order (default:
        computed here).
        """
        import highspy  # lazy: see highs.py

        self.problem = problem
        p = problem
        n, E = p.n, len(p.edges)
        w = p.weights
        coef = objective_coefficients(p)
        _, A, tot, _ = district_parts(p)
        self.h = h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", int(threads))
        h.setOptionValue("random_seed", int(seed))
        inf = highspy.kHighsInf
        M = _max_units(p)
        cols_lo: list[float] = []
        cols_hi: list[float] = []
        cost: list[float] = []
        integ: list[int] = []

        def add(k: int, lo: float, hi: float, c: object) -> int:
            start = len(cost)
            cols_lo.extend([lo] * k)
            cols_hi.extend([hi] * k)
            cost.extend(np.broadcast_to(np.asarray(c, dtype=float), (k,)).tolist())
            integ.extend([0] * k)
            return start

        self.base = w.catchment * (tot - np.diag(A))  # per-unit part of the district cost
        ix = add(n, 0, 1, self.base)
        ir = add(n, 0, 1, 0.0)
        arcs = [(int(i), int(j)) for i, j in p.edges] + [(int(j), int(i)) for i, j in p.edges]
        iff = add(2 * E, 0, M - 1, 0.0)
        isup = add(n, 0, M, 0.0)
        ie = add(E, 0, 1, w.compactness * 0.5 * coef.edge_coef)
        G = len(p.group_members)
        iy = add(G, 0, 1, w.identity)
        ib = add(1, 0, inf, w.balance * coef.balance_scale)
        pairs = [(u, v, float(A[u, v] + A[v, u])) for u in range(n) for v in range(u + 1, n) if A[u, v] + A[v, u] > 0]
        iz = add(len(pairs), 0, 1, [-w.catchment * c for _, _, c in pairs])
        for k in range(ix, ix + 2 * n):
            integ[k] = 1
        rows: list[tuple[list[int], list[float], float, float]] = []
        pop = p.population.astype(float)
        rows.append((list(range(ix, ix + n)), pop.tolist(), p.lo, p.hi))
        rows.append((list(range(ix, ix + n)) + [ib], pop.tolist() + [-1.0], -inf, p.target))  # P - b <= T
        rows.append((list(range(ix, ix + n)) + [ib], pop.tolist() + [1.0], p.target, inf))  # P + b >= T
        rows.append((list(range(ir, ir + n)), [1.0] * n, 1, 1))
        for u in range(n):
            rows.append(([ir + u, ix + u], [1.0, -1.0], -inf, 0))  # r <= x
            rows.append(([isup + u, ir + u], [1.0, -float(M)], -inf, 0))  # supply only at the root
        out_arcs: list[list[int]] = [[] for _ in range(n)]
        in_arcs: list[list[int]] = [[] for _ in range(n)]
        for a, (i, j) in enumerate(arcs):
            out_arcs[i].append(a)
            in_arcs[j].append(a)
            rows.append(([iff + a, ix + i], [1.0, -(M - 1.0)], -inf, 0))
            rows.append(([iff + a, ix + j], [1.0, -(M - 1.0)], -inf, 0))
        for u in range(n):  # inflow + supply - outflow = x_u
            idx = [iff + a for a in in_arcs[u]] + [iff + a for a in out_arcs[u]] + [isup + u, ix + u]
            val = [1.0] * len(in_arcs[u]) + [-1.0] * len(out_arcs[u]) + [1.0, -1.0]
            rows.append((idx, val, 0, 0))
        for u in range(n):  # root is the lowest unit: x_v + r_u <= 1 for v < u
            for v in range(u):
                rows.append(([ix + v, ir + u], [1.0, 1.0], -inf, 1))
        for e, (i, j) in enumerate(p.edges):
            rows.append(([ie + e, ix + i, ix + j], [1.0, -1.0, 1.0], 0, inf))
            rows.append(([ie + e, ix + i, ix + j], [1.0, 1.0, -1.0], 0, inf))
        for g, members in enumerate(p.group_members):
            for u in members:
                rows.append(([iy + g, ix + int(u)], [1.0, -1.0], 0, inf))
            # y_g <= sum x_u: with a cut's dual y_g may cost less than 0, yet must mean "touches g"
            rows.append(([iy + g] + [ix + int(u) for u in members], [1.0] + [-1.0] * len(members), -inf, 0))
        for q, (u, v, _) in enumerate(pairs):
            rows.append(([iz + q, ix + u], [1.0, -1.0], -inf, 0))
            rows.append(([iz + q, ix + v], [1.0, -1.0], -inf, 0))
        for group in p.keep_together:
            for u in group[1:]:
                rows.append(([ix + int(group[0]), ix + int(u)], [1.0, -1.0], 0, 0))
        for a, b in p.keep_apart:
            rows.append(([ix + int(a), ix + int(b)], [1.0, 1.0], -inf, 1))
        by_area: dict[int, list[int]] = {}
        for unit, area in p.locks.items():
            by_area.setdefault(area, []).append(unit)
        heads = [units[0] for units in by_area.values()]
        for units in by_area.values():
            for u in units[1:]:
                rows.append(([ix + units[0], ix + u], [1.0, -1.0], 0, 0))
        for s in range(len(heads)):
            for t in range(s + 1, len(heads)):
                rows.append(([ix + heads[s], ix + heads[t]], [1.0, 1.0], -inf, 1))
        lp = highspy.HighsLp()
        lp.num_col_ = len(cost)
        lp.num_row_ = len(rows)
        lp.col_cost_ = np.array(cost)
        lp.col_lower_ = np.array(cols_lo, dtype=float)
        lp.col_upper_ = np.array(cols_hi, dtype=float)
        lp.row_lower_ = np.array([r[2] for r in rows], dtype=float)
        lp.row_upper_ = np.array([r[3] for r in rows], dtype=float)
        starts = np.cumsum([0] + [len(r[0]) for r in rows])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = starts.astype(np.int32)
        lp.a_matrix_.index_ = np.concatenate([np.asarray(r[0], dtype=np.int32) for r in rows])
        lp.a_matrix_.value_ = np.concatenate([np.asarray(r[1], dtype=float) for r in rows])
        lp.integrality_ = [highspy.HighsVarType.kInteger if t else highspy.HighsVarType.kContinuous for t in integ]
        h.passModel(lp)
        self.ix, self.n, self.iy, self.ir = ix, n, iy, ir
        self.cut_groups, _ = group_cuts(p) if cuts is None else cuts
        self.found: list[np.ndarray] = []
        self.reach = root_reach(p)
        h.cbMipImprovingSolution.subscribe(self._collect)

    def _collect(self, event: highspy.HighsCallbackEvent) -> None:
        x = np.asarray(event.data_out.mip_solution)[self.ix:self.ix + self.n]
        self.found.append(x > 0.5)

    def _set_duals(self, pi: np.ndarray, sigma: np.ndarray | None) -> None:
        """Put the reduced-cost coefficients of unit duals ``pi`` and cut duals ``sigma`` (default 0) in the MIP."""
        idx = np.arange(self.ix, self.ix + self.n, dtype=np.int32)
        self.h.changeColsCost(self.n, idx, (self.base - pi).astype(float))
        if len(self.cut_groups):
            sig = np.zeros(len(self.cut_groups)) if sigma is None else np.asarray(sigma, dtype=float)
            cut_idx = (self.iy + self.cut_groups).astype(np.int32)
            self.h.changeColsCost(len(cut_idx), cut_idx, self.problem.weights.identity - sig)

    def price(self, pi: np.ndarray, time_limit: float, gap: float = 0.0,
              sigma: np.ndarray | None = None) -> tuple[float | None, list[np.ndarray]]:
        """Solve the pricing MIP at unit duals ``pi`` (and cut duals ``sigma``, default zero).

        Parameters
        ----------
        pi : numpy.ndarray
            (n,) unit duals.
        time_limit : float
            Seconds for HiGHS (at least 0.05).
        gap : float
            Relative MIP gap (at least 1e-6).
        sigma : numpy.ndarray, optional
            The duals of :func:`group_cuts`.

        Returns
        -------
        bound : float or None
            A lower bound on ``min_S cost(S) - pi(S) - sigma(cut groups S touches)`` (without ``mu``);
            ``inf`` when no district exists, None without a proof.
        found : list of numpy.ndarray
            (n,) bool: every improving district HiGHS found on the way.
        """
        h = self.h
        self._set_duals(pi, sigma)
        h.setOptionValue("time_limit", float(max(time_limit, 0.05)))
        h.setOptionValue("mip_rel_gap", float(max(gap, 1e-6)))
        self.found = []
        highs.run(h)
        status, obj, bound = highs.read_highs(h)
        if status == "optimal" and obj is not None:
            bound = obj if bound is None else min(bound, obj)
        if status == "infeasible":
            bound = np.inf
        return bound, self.found

    def _fix_root(self, r: int | None) -> None:
        """Restrict the MIP to districts whose lowest unit is ``r`` (units outside ``reach[r]`` fixed to 0);
        None lifts the restriction."""
        n = self.n
        x_lo, x_hi, r_lo, r_hi = np.zeros(n), np.ones(n), np.zeros(n), np.ones(n)
        if r is not None:
            x_hi = self.reach[r].astype(float)
            x_lo[r] = r_lo[r] = 1.0
            r_hi[:] = 0.0
            r_hi[r] = 1.0
        self.h.changeColsBounds(n, np.arange(self.ix, self.ix + n, dtype=np.int32), x_lo, x_hi)
        self.h.changeColsBounds(n, np.arange(self.ir, self.ir + n, dtype=np.int32), r_lo, r_hi)

    def _root_lp(self, r: int) -> float:
        """The LP relaxation's value of the MIP restricted to root ``r`` (``inf`` when infeasible, ``-inf`` when
        HiGHS does not solve it): a lower bound on every district with lowest unit ``r``."""
        import highspy  # lazy: see highs.py

        if not self.reach[r][r]:  # r alone is above the maximum
            return np.inf
        h = self.h
        self._fix_root(r)
        # HiGHS measures an LP's time limit on the instance's clock, which keeps running over earlier runs
        h.setOptionValue("time_limit", float(h.getRunTime()) + 5.0)
        highs.run(h)
        ms = h.getModelStatus()
        if ms == highspy.HighsModelStatus.kOptimal:
            return float(h.getInfo().objective_function_value)
        if ms == highspy.HighsModelStatus.kInfeasible:
            return np.inf
        return -np.inf

    def price_by_root(self, pi: np.ndarray, deadline: float, sigma: np.ndarray | None = None,
                      cutoff: float = np.inf) -> tuple[float | None, list[np.ndarray]]:
        """The pricing minimum as the least of one small MIP per root (the district's lowest unit).

        Every district has one lowest unit ``r`` and, being connected and within the maximum, lies inside
        ``reach[r]`` (:func:`root_reach`). So ``min_S rc(S) = min_r min_{S with root r} rc(S)``, and any lower
        bound per root gives one on the minimum. Each root's MIP is much smaller than the whole one and its LP
        tighter (the root is fixed). The roots' LP relaxations come first (cheap); then the MIPs, least LP value
        first, each with HiGHS's ``objective_bound`` at the least value found so far (initially ``cutoff``): a
        root whose MIP then has no solution has no district below that value. Roots whose LP value is at least
        that value are skipped; roots left at ``deadline`` count with their LP value, a root stopped by the
        deadline with HiGHS's dual bound. Whatever ``cutoff`` is, the result is a lower bound:
        ``min(cutoff, least value found, every root's own bound)``.

        Parameters
        ----------
        pi, sigma : numpy.ndarray
            The unit and cut duals, as for :meth:`price`.
        deadline : float
            A ``time.perf_counter()`` value at which the MIPs stop.
        cutoff : float
            A value at or above which districts are of no interest (e.g. the reduced cost plus ``mu`` of a
            district already known).

        Returns
        -------
        bound : float or None
            A lower bound on ``min_S cost(S) - pi(S) - sigma(cut groups S touches)`` (without ``mu``); ``inf``
            when no district exists; None when not even the LP relaxations finished.
        found : list of numpy.ndarray
            (n,) bool: every improving district HiGHS found on the way.
        """
        h = self.h
        self._set_duals(pi, sigma)
        found: list[np.ndarray] = []
        h.setOptionValue("solve_relaxation", True)
        lp = np.array([self._root_lp(r) for r in range(self.n)])
        h.setOptionValue("solve_relaxation", False)
        best = float(cutoff)
        own = lp.copy()  # every root's own lower bound
        try:
            for r in np.argsort(lp, kind="stable"):
                left = deadline - time.perf_counter()
                if lp[r] >= best - 1e-9 or left <= 0.05:
                    continue
                self._fix_root(int(r))
                h.setOptionValue("time_limit", float(left))
                h.setOptionValue("objective_bound", best)
                h.setOptionValue("mip_rel_gap", 1e-6)
                self.found = []
                highs.run(h)
                found.extend(self.found)
                status, obj, dual = highs.read_highs(h)
                if status == "infeasible":
                    own[r] = best - 1e-6 * max(1.0, abs(best))  # nothing below the cutoff, within HiGHS's tolerance
                elif dual is not None:
                    own[r] = max(own[r], dual if obj is None else min(dual, obj))
                if obj is not None and obj < best:
                    best = obj
        finally:
            self._fix_root(None)
            h.setOptionValue("objective_bound", np.inf)
        bound = float(min(best, own.min()))
        return (None if bound == -np.inf else bound), found


def root_reach(problem: Problem) -> list[np.ndarray]:
    """For every unit ``r``: (n,) bool, the units a district whose lowest unit is ``r`` can hold.

    Such a district is connected, holds only units ``>= r`` and at most ``hi`` inhabitants, so each of its units
    ``u`` is joined to ``r`` by a path through units ``>= r`` whose inhabitants (both ends included) sum to at
    most ``hi``. ``reach[r]`` marks the units with such a path (node-weighted shortest paths from ``r``).
    """
    n = problem.n
    pop = problem.population.astype(float)
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for i, j in problem.edges:
        nbrs[int(i)].append(int(j))
        nbrs[int(j)].append(int(i))
    out = []
    for r in range(n):
        dist = np.full(n, np.inf)
        dist[r] = pop[r]
        heap = [(pop[r], r)]
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist[u]:
                continue
            for v in nbrs[u]:
                nd = d + pop[v]
                if v > r and nd <= problem.hi and nd < dist[v]:
                    dist[v] = nd
                    heapq.heappush(heap, (nd, v))
        out.append(np.isfinite(dist) & (dist <= problem.hi))
    return out


class Master:
    """The restricted master LP, grown column by column, with box-stabilising artificial columns:
    ``+e_u`` at cost ``c_u + d`` and ``-e_u`` at cost ``-(c_u - d)`` keep the unit duals within
    ``[c_u - d, c_u + d]`` (the same for the K row), so the duals move steadily (BoxStep).
    Rows after the K row are the rounded-capacity cuts of :func:`group_cuts` (``>= r_g``)."""

    def __init__(self, problem: Problem, cuts: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """``cuts``: the :func:`group_cuts` rows (groups, fewest areas), shared with the :class:`Pricer`."""
        import highspy  # lazy: see highs.py

        n, K = problem.n, problem.k
        self.n = n
        self.h = h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        inf = highspy.kHighsInf
        lo = np.concatenate([np.ones(n), [K]])
        h.addRows(n + 1, lo, lo.copy(), 0, np.zeros(1, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        groups, self.need = group_cuts(problem) if cuts is None else cuts
        self.touch = group_matrix(problem, groups)
        if len(groups):
            h.addRows(len(groups), self.need, np.full(len(groups), inf), 0, np.zeros(1, dtype=np.int32),
                      np.zeros(0, dtype=np.int32), np.zeros(0))
        for u in range(n + 1):
            for sgn in (1.0, -1.0):
                h.addCol(0.0, 0.0, inf, 1, np.array([u], dtype=np.int32), np.array([sgn]))
        self.n_art = 2 * (n + 1)
        self.keys: set[bytes] = set()
        self.member: list[np.ndarray] = []
        self.cost: list[float] = []

    def box(self, center: np.ndarray, d: np.ndarray) -> None:
        """Centre (n + 1 duals: units then K row) and half-widths of the dual box."""
        cost = np.empty(self.n_art)
        cost[0::2] = center + d
        cost[1::2] = -(center - d)
        self.h.changeColsCost(self.n_art, np.arange(self.n_art, dtype=np.int32), cost)

    def artificial(self) -> float:
        """The sum of the artificial columns in the last LP solution (0 when the dual box does not bind)."""
        return float(np.asarray(self.h.getSolution().col_value)[:self.n_art].sum())

    def add(self, member: np.ndarray, cost: np.ndarray) -> int:
        """Add the new districts among ``member`` (with their costs); returns how many were new."""
        import highspy  # lazy: see highs.py

        added = 0
        for m, c in zip(member, cost):
            key = np.packbits(m).tobytes()
            if key in self.keys:
                continue
            self.keys.add(key)
            units = np.flatnonzero(m).astype(np.int32)
            cuts = self.n + 1 + np.flatnonzero((self.touch & m).any(axis=1)).astype(np.int32)
            idx = np.concatenate([units, [self.n], cuts]).astype(np.int32)
            self.h.addCol(float(c), 0.0, highspy.kHighsInf, len(idx), idx, np.ones(len(idx)))
            self.member.append(m.copy())
            self.cost.append(float(c))
            added += 1
        return added

    def solve(self) -> tuple[float, np.ndarray, float, np.ndarray, np.ndarray] | None:
        """(value, unit duals pi, K dual mu, cut duals sigma >= 0, column values); None unless HiGHS solved it.

        ``value`` leaves out the plan constant; the column values are those of the districts, in the order of
        ``self.member``.
        """
        import highspy  # lazy: see highs.py

        h = self.h
        highs.run(h)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = h.getSolution()
        duals = np.asarray(sol.row_dual)
        x = np.asarray(sol.col_value)[self.n_art:]
        sigma = np.maximum(duals[self.n + 1:], 0.0)
        return float(h.getInfo().objective_function_value), duals[:self.n], float(duals[self.n]), sigma, x


def plan_members(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """(K, n) bool: the districts of plan ``labels``, one row per area."""
    return np.stack([labels == k for k in range(problem.k)])


def grow_columns(problem: Problem, pi: np.ndarray, seeds: np.ndarray, rng: np.random.Generator,
                 tries: int = 20) -> np.ndarray:
    """Cheap pricing: districts grown from random seed units by adding the neighbour of highest dual.

    Each of ``tries`` districts starts at a unit drawn from ``seeds`` and adds the fitting neighbour of
    highest ``pi`` per inhabitant (plus a small random term) until it reaches the minimum; returns the
    (m, n) bool districts that end within the bounds.
    """
    n = problem.n
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for i, j in problem.edges:
        nbrs[int(i)].append(int(j))
        nbrs[int(j)].append(int(i))
    pop = problem.population.astype(float)
    out = []
    for _ in range(tries):
        s = int(rng.choice(seeds))
        inside = np.zeros(n, dtype=bool)
        inside[s] = True
        P = pop[s]
        frontier = set(nbrs[s])
        while P < problem.lo and frontier:
            cand = [v for v in frontier if P + pop[v] <= problem.hi]
            if not cand:
                break
            score = np.array([pi[v] / max(pop[v], 1.0) for v in cand]) + 1e-3 * rng.random(len(cand))
            v = cand[int(np.argmax(score))]
            inside[v] = True
            P += pop[v]
            frontier |= set(nbrs[v])
            frontier -= set(np.flatnonzero(inside).tolist())
        if problem.lo <= P <= problem.hi:
            out.append(inside)
    return np.array(out, dtype=bool).reshape(-1, n)


def _connected(nbrs: list[list[int]], units: np.ndarray) -> bool:
    """Whether ``units`` (indices) induce a connected subgraph."""
    if len(units) <= 1:
        return True
    inside = set(units.tolist())
    stack, seen = [int(units[0])], {int(units[0])}
    while stack:
        u = stack.pop()
        for v in nbrs[u]:
            if v in inside and v not in seen:
                seen.add(v)
                stack.append(v)
    return len(seen) == len(inside)


def improve_columns(problem: Problem, nbrs: list[list[int]], starts: np.ndarray,
                    reduced: Callable[[np.ndarray, np.ndarray], np.ndarray], steps: int = 40) -> np.ndarray:
    """Local-search pricing: add or remove one unit (staying connected and within bounds) while the
    reduced cost falls; returns every visited district with negative reduced cost. ``reduced(member, cost)``
    gives the reduced costs at the current duals; ``starts`` and the result are (m, n) bool."""
    pop = problem.population.astype(float)
    out = []
    for S in starts:
        S = S.copy()
        rc_now = None
        for _ in range(steps):
            P = pop[S].sum()
            units = np.flatnonzero(S)
            border = set()
            for u in units:
                border.update(nbrs[u])
            cands = []
            for v in border:
                if not S[v] and P + pop[v] <= problem.hi:
                    T = S.copy()
                    T[v] = True
                    cands.append(T)
            for u in units:
                if P - pop[u] >= problem.lo:
                    rest = units[units != u]
                    if _connected(nbrs, rest):
                        T = S.copy()
                        T[u] = False
                        cands.append(T)
            if not cands:
                break
            C = np.array(cands, dtype=bool)
            _, c, _ = district_costs(problem, C)
            rc = reduced(C, c)
            if rc_now is None:
                _, c0, _ = district_costs(problem, S[None, :])
                rc_now = float(reduced(S[None, :], c0)[0])
            j = int(np.argmin(rc))
            if rc[j] >= rc_now - 1e-9:
                break
            S, rc_now = C[j], float(rc[j])
            if rc_now < -1e-7:
                out.append(S.copy())
    return np.array(out, dtype=bool).reshape(-1, problem.n)


def column_generation(problem: Problem, plans: list[np.ndarray], deadline: float, threads: int = 1,
                      seed: int = 1, progress: Callable[[float, float], None] | None = None, target_gap: float = 0.0,
                      incumbent: float | None = None, width: float = 0.15, price_limit: float = 10.0,
                      cheap_min: int = 1, cheap_every: int = 4, pool_share: float = 0.05,
                      pool_batch: int = 200, stall_factor: float = 2.0, by_root: bool = True,
                      smooth: float = 0.5) -> CGResult:
    """Lower bound on every plan by column generation; ``plans`` (label arrays) seed the master.

    A pool of districts from tree cuts around the plans (``pool.py``, ``pool_share`` of the time) is priced
    at every iteration; its ``pool_batch`` most negative reduced-cost districts enter the master. An exact
    pricing call that neither adds a district nor proves the bound leaves the duals as they were, so the next
    call gets ``stall_factor`` times its time (instead of repeating the same search).

    Parameters
    ----------
    problem : Problem
        The problem (any size).
    plans : list of numpy.ndarray
        Label arrays of valid plans: their districts seed the master and the pool walks from them.
    deadline : float
        A ``time.perf_counter()`` value at which column generation stops.
    threads, seed : int
        For the pricing MIP (``seed`` also seeds the pool and the grown districts).
    progress : callable, optional
        Called with (restricted master value, best bound) after every exact pricing.
    target_gap : float
        Stop when the bound is within this relative gap of ``incumbent``.
    incumbent : float, optional
        The best known plan's objective.
    width : float
        Half-width of the first dual box as a share of the seed plan's cost (the K row's; each unit's is
        that divided by n).
    price_limit : float
        Seconds per exact pricing call (until it stalls).
    cheap_min, cheap_every : int
        Skip the exact pricing while cheap pricing adds at least ``cheap_min`` districts, except at
        every ``cheap_every``-th iteration.
    pool_share : float
        Share of the time spent on the pool of ``pool.py``.
    pool_batch : int
        Pool districts offered per iteration.
    stall_factor : float
        Growth of the exact pricing's time limit while it stalls.
    by_root : bool
        Exact pricing as one small MIP per root (:meth:`Pricer.price_by_root`, default) instead of one MIP over
        all roots (:meth:`Pricer.price`). On Stichtse Vecht's captured duals the former proved the minimum in
        2-5 s of CPU where the latter stopped at its 10 s limit without a proof.
    smooth : float
        Wentges smoothing: the exact pricing runs at ``smooth * centre + (1 - smooth) * master duals`` (0: at the
        master's duals); after a call that gives the master nothing, the next one runs at the master's duals.
        Stichtse Vecht, 45 s of CPU, one pair each: Lagrangian bound 7.75 against 5.95 (K=7), 9.24 against 9.18
        (K=8) with 0.5 against 0.

    Returns
    -------
    CGResult
        The larger of the best Lagrangian bound and :func:`capacity_bound` (at most 0 when neither says anything),
        whether the LP converged, and every generated district with its cost.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    seed_parts = [plan_members(problem, labels) for labels in plans]
    seed_m = np.concatenate(seed_parts) if seed_parts else np.zeros((0, problem.n), dtype=bool)
    _, seed_c, const = district_costs(problem, seed_m)
    cuts = group_cuts(problem)  # one list: the master's cut rows and the pricing's dual order must agree
    master = Master(problem, cuts)
    master.add(seed_m, seed_c)
    # walk=10_000: the walk from the best plan fills the pool's time. Sharing the time among the plans gave a
    # worse bound (Stichtse Vecht K=7 at 115 s: 10.35 against 13.57).
    pool = recom_pool(problem, plans, deadline=t0 + pool_share * max(deadline - t0, 0.0), seed=seed,
                      walk=10_000) if plans and pool_share > 0 else np.zeros((0, problem.n), dtype=bool)
    _, pool_c, _ = district_costs(problem, pool)
    pop = problem.population.astype(float)
    n, K = problem.n, problem.k
    total = float(seed_c[:K].sum()) if len(seed_c) else 1.0
    pi_c = pop * (total / pop.sum())  # first centre: the plan's cost spread over units by population
    pricer = Pricer(problem, threads=threads, seed=seed, cuts=cuts)
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for i, j in problem.edges:
        nbrs[int(i)].append(int(j))
        nbrs[int(j)].append(int(i))
    first = max(0.1, min(30.0, deadline - time.perf_counter() - 0.2))
    lb, _ = (pricer.price_by_root(pi_c, time.perf_counter() + first) if by_root else
             pricer.price(pi_c, time_limit=first))
    mu_c = lb if lb is not None and np.isfinite(lb) else 0.0
    best = float(pi_c.sum() + K * lb + const) if lb is not None and np.isfinite(lb) else -np.inf
    floor = capacity_bound(problem)
    d = np.full(n + 1, width * max(total, 1e-3) / n)
    d[n] = width * max(total, 1e-3)
    value, converged, its, history = None, False, 0, []
    sig_c, mispriced = np.zeros(len(cuts[0])), False
    need = master.need
    limit = price_limit
    while time.perf_counter() < deadline - 0.2:
        its += 1
        master.box(np.concatenate([pi_c, [mu_c]]), d)
        solved = master.solve()
        if solved is None:  # no LP solution to price from: keep the bound found so far
            break
        value, pi, mu, sigma, x = solved
        art = master.artificial()  # read now: adding columns below invalidates the master's solution

        def reduced(member: np.ndarray, cost: np.ndarray, pi: np.ndarray = pi, mu: float = mu,
                    sigma: np.ndarray = sigma) -> np.ndarray:
            return reduced_costs(member, cost, pi, mu, sigma, master.touch)

        def offer(member: np.ndarray, tol: float) -> int:
            """Add the districts of reduced cost below ``-tol`` to the master; returns how many were new."""
            _, c, _ = district_costs(problem, member)
            rc = reduced(member, c)
            return master.add(member[rc < -tol], c[rc < -tol])

        rmp = value + const
        support = np.array(master.member, dtype=bool)[x[:len(master.member)] > 1e-6]
        added = 0
        if len(pool):
            rc = reduced(pool, pool_c)
            best_pool = np.argsort(rc)[:pool_batch]
            best_pool = best_pool[rc[best_pool] < -1e-6]
            added += master.add(pool[best_pool], pool_c[best_pool])
        grown = grow_columns(problem, pi, np.arange(n), rng, tries=20)
        grown = np.concatenate([grown, improve_columns(problem, nbrs, np.concatenate([support, grown]), reduced)])
        if len(grown):
            added += offer(grown, 1e-6)
        if added >= cheap_min and its % cheap_every:
            continue  # cheap columns still coming: re-solve before paying for an exact pricing
        left = deadline - time.perf_counter() - 0.2
        if left <= 0:
            break
        # Wentges smoothing: price at a point between the centre and the master's duals (both valid for the bound)
        a = 0.0 if mispriced else smooth
        pi_p, sig_p = a * pi_c + (1 - a) * pi, a * sig_c + (1 - a) * sigma
        lb, found = (pricer.price_by_root(pi_p, time.perf_counter() + min(left, limit), sigma=sig_p) if by_root else
                     pricer.price(pi_p, time_limit=min(left, limit), sigma=sig_p))
        priced = offer(np.array(found, dtype=bool), 1e-7) if found else 0
        added += priced
        mispriced = a > 0 and priced == 0  # nothing for the master at the smoothed point: next time at its duals
        # Nothing new and no proof: the same duals would give the same call again, so give the next one more time.
        stalled = a == 0 and priced == 0 and (lb is None or lb - mu < -1e-7)
        limit = limit * stall_factor if stalled else (limit if mispriced else price_limit)
        if lb is not None and np.isfinite(lb):
            lag = float(pi_p.sum() + K * lb + need @ sig_p + const)  # Lagrangian bound: valid for any duals
            if lag > best + 1e-9:
                best, pi_c, sig_c, mu_c = lag, pi_p.copy(), sig_p.copy(), float(lb)  # serious step: move the box
            if a == 0 and lb - mu >= -1e-7:  # no column prices out at these duals
                if art <= 1e-7:
                    converged = True  # box inactive: the restricted master is the LP optimum
                else:
                    d *= 2.0  # box binds: widen it
        history.append((time.perf_counter() - t0, rmp, best))  # the Lagrangian bound alone
        if progress is not None:
            progress(rmp, max(best, floor))
        if converged:
            best = max(best, rmp)
            break
        if incumbent is not None and (incumbent - max(best, floor)) <= target_gap * abs(incumbent):
            break
    best = max(best, floor)  # the Lagrangian bound stays apart above: a serious step compares with it alone
    return CGResult(best if np.isfinite(best) else None, None if value is None else value + const, converged,
                    np.array(master.member, dtype=bool).reshape(-1, problem.n), np.array(master.cost), const,
                    its, time.perf_counter() - t0, history)


def master_ip(problem: Problem, cg: CGResult, time_limit: float, threads: int = 1, seed: int = 1,
              start: np.ndarray | None = None) -> tuple[np.ndarray | None, float | None]:
    """Best plan over the generated districts (restricted master as an integer program).

    Parameters
    ----------
    problem : Problem
        The problem ``cg`` was generated for.
    cg : CGResult
        :func:`column_generation`'s districts and costs.
    time_limit : float
        Seconds for HiGHS.
    threads, seed : int
        Passed on to :func:`.exact.solve_columns` (which solves with one thread).
    start : numpy.ndarray, optional
        Not used.

    Returns
    -------
    labels : numpy.ndarray or None
        The best plan found, None when HiGHS found none.
    objective : float or None
        Its objective as HiGHS computed it.
    """
    masks = np.arange(len(cg.member), dtype=np.int64)  # ids only: with members given no bit masks are needed
    cols = Columns(masks, cg.member, cg.member.astype(float) @ problem.population, cg.cost, cg.constant, 0.0)
    res = solve_columns(problem, cols, time_limit=time_limit, threads=threads, seed=seed)
    if res.labels is None:
        return None, None
    return res.labels, res.objective
