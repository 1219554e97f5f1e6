"""Exact set-partitioning model over enumerated districts (columns).

Every objective term of :mod:`wijkindeling.model.metrics` is additive over districts (the district cost
model of ``districts.py``), so a plan's objective is ``sum_S cost(S) - w_identity * n_groups``. We
enumerate every connected set of units whose population lies within ``[lo, hi]`` (breadth first, as
64-bit masks, numpy-vectorised) and drop the ones that break a hard rule (:func:`build_columns`); solve
the LP relaxation over them by column generation with complete pricing (:func:`lp_bound`); and solve
``min sum cost * lambda`` s.t. every unit is covered once and ``K`` districts are chosen with HiGHS,
over the columns whose reduced cost leaves them a chance to beat a known plan (:func:`solve_exact`).
When the enumeration is complete the result is exact; the status comes from HiGHS's own model status.

Up to :data:`MAX_BITS` units a district is one int64 bit mask. Above that (dense cities: Utrecht has 111
buurten but, at 42 areas, fewer than 10,000 connected districts within the bounds) a district is a row of
64-bit words (:func:`enumerate_wide`); its key for lookups is that row as one ``numpy.void`` value and the
columns carry their (C, n) membership, so costs and rules come from ``districts.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.metrics import objective_coefficients
from ..model.problem import Problem
from . import highs
from .districts import MethodResult, district_parts, plan_constant, rule_filter, weighted_cost
from .highs import HighsProgress

MAX_BITS = 62  # most units the one-word enumeration handles: a district is a bit mask in one int64
WIDE_IP_COLUMNS = 15_000  # most word-mask columns one integer model gets (HiGHS stalls on more)
WIDE_MAX_CELLS = 400_000_000  # most districts x units the wide enumeration keeps as a membership matrix


class TooManyColumns(Exception):
    """The enumeration would exceed its limit (the instance is too large for this model)."""


@dataclass
class Columns:
    """Enumerated districts: bit masks, unit membership, population and cost."""

    masks: np.ndarray  # int64 bit masks (or plain ids when ``member`` is given)
    member: np.ndarray | None  # (C, n) bool, only for small column sets (see ``members``)
    population: np.ndarray  # (C,) inhabitants per district
    cost: np.ndarray  # (C,) every district's share of the objective
    constant: float  # objective = cost of chosen columns + constant
    seconds: float  # time the enumeration took

    def members(self, n: int, idx: np.ndarray | None = None) -> np.ndarray:
        """(C, n) bool membership of the columns (only those at ``idx`` when given), from ``member`` or the masks."""
        if self.member is not None:
            return self.member if idx is None else self.member[idx]
        return membership(self.masks if idx is None else self.masks[idx], n)


def _neighbour_masks(problem: Problem) -> np.ndarray:
    nbr = np.zeros(problem.n, dtype=np.int64)
    for i, j in problem.edges:
        nbr[i] |= np.int64(1) << np.int64(j)
        nbr[j] |= np.int64(1) << np.int64(i)
    return nbr


def _or_tables(values: np.ndarray, n: int) -> list[np.ndarray]:
    """Per byte of a mask: the OR (int64) of ``values`` over the set bits."""
    tables = []
    for i in range((n + 7) // 8):
        t = np.zeros(256, dtype=np.int64)
        for b in range(256):
            for bit in range(8):
                if (b >> bit) & 1 and 8 * i + bit < n:
                    t[b] |= values[8 * i + bit]
        tables.append(t)
    return tables


def _sum_tables(values: np.ndarray, n: int) -> list[np.ndarray]:
    tables = []
    for i in range((n + 7) // 8):
        t = np.zeros(256, dtype=np.int64)
        for b in range(256):
            t[b] = sum(int(values[8 * i + bit]) for bit in range(8) if (b >> bit) & 1 and 8 * i + bit < n)
        tables.append(t)
    return tables


def enumerate_masks(problem: Problem, max_sets: int = 3_000_000, deadline: float | None = None) -> np.ndarray:
    """All connected unit sets with population in [lo, hi], as bit masks.

    Level by level (set size), each set grows by one neighbour above its lowest unit; duplicates
    are removed with a hash table (pandas.unique). Raises :class:`TooManyColumns` when more than
    ``max_sets`` sets would be generated, the deadline (``time.perf_counter()`` value) passes or the problem
    has more than :data:`MAX_BITS` units. Returns an int64 array, bit ``u`` set for unit ``u``.
    """
    n = problem.n
    if n > MAX_BITS:
        raise TooManyColumns(f"{n} units is more than {MAX_BITS}")
    nbr = _neighbour_masks(problem)
    pop = problem.population.astype(np.int64)
    or_t, sum_t = _or_tables(nbr, n), _sum_tables(pop, n)
    lo, hi = problem.lo, problem.hi
    bits = np.int64(1) << np.arange(n, dtype=np.int64)
    ok = pop <= hi
    S = bits[ok]
    out, total = [], 0
    while len(S):
        total += len(S)
        if total > max_sets or (deadline is not None and time.perf_counter() > deadline):
            raise TooManyColumns(f"more than {max_sets} connected sets")
        N = np.zeros(len(S), dtype=np.int64)
        P = np.zeros(len(S), dtype=np.int64)
        for i in range(len(or_t)):
            byte = ((S >> (8 * i)) & 255).astype(np.intp)
            N |= or_t[i][byte]
            P += sum_t[i][byte]
        out.append(S[P >= lo - 1e-9])
        low = S & -S
        A = N & ~S & ~(low + low - 1)  # grow only by neighbours above the set's lowest unit (its root)
        room = hi - P
        grow, size = [], 0
        for v in range(n):
            m = (((A >> v) & 1) == 1) & (pop[v] <= room)
            if m.any():
                grow.append(S[m] | bits[v])
                size += len(grow[-1])
            if total + size > 2 * max_sets or (deadline is not None and time.perf_counter() > deadline):
                raise TooManyColumns(f"more than {max_sets} connected sets")  # give up early, within the level
        if not grow:
            break
        S = pd.unique(np.concatenate(grow))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def membership(masks: np.ndarray, n: int) -> np.ndarray:
    """(C, n) boolean membership matrix of bit masks."""
    return ((masks[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1).astype(bool)


def _unit_words(n: int) -> np.ndarray:
    """(n, W) uint64: row ``u`` has only bit ``u`` set, in word ``u // 64``."""
    out = np.zeros((n, (n + 63) // 64), dtype=np.uint64)
    out[np.arange(n), np.arange(n) // 64] = np.uint64(1) << (np.arange(n) % 64).astype(np.uint64)
    return out


def wide_keys(words: np.ndarray) -> np.ndarray:
    """One hashable, sortable ``numpy.void`` key per row of (C, W) uint64 ``words``."""
    words = np.ascontiguousarray(words, dtype=np.uint64)
    return words.view(np.dtype((np.void, 8 * words.shape[1]))).ravel()


def wide_membership(words: np.ndarray, n: int) -> np.ndarray:
    """(C, n) boolean membership of (C, W) uint64 word masks."""
    shifts = np.arange(64, dtype=np.uint64)
    parts = [((words[:, w, None] >> shifts[None, :]) & np.uint64(1)).astype(bool) for w in range(words.shape[1])]
    return np.concatenate(parts, axis=1)[:, :n]


def _lowest_unit(words: np.ndarray) -> np.ndarray:
    """(C,) index of the lowest unit of every (non-empty) row of word masks."""
    first = np.argmax(words != 0, axis=1)
    x = words[np.arange(len(words)), first]
    low = x & (~x + np.uint64(1))
    return 64 * first + np.log2(low.astype(float)).astype(int)


def enumerate_wide(problem: Problem, max_sets: int = 3_000_000, deadline: float | None = None) -> np.ndarray:
    """All connected unit sets with population in [lo, hi], as rows of 64-bit words, for any number of units.

    The same level-by-level growth as :func:`enumerate_masks` (a set grows by one neighbour above its lowest
    unit; duplicates removed), on (C, W) uint64 arrays. Raises :class:`TooManyColumns` when more than
    ``max_sets`` sets would be generated or the deadline passes. Returns (C, W) uint64, bit ``u % 64`` of word
    ``u // 64`` set for unit ``u``.
    """
    n = problem.n
    W = (n + 63) // 64
    bits = _unit_words(n)
    nbr = np.zeros((n, W), dtype=np.uint64)
    for i, j in problem.edges:
        nbr[i] |= bits[j]
        nbr[j] |= bits[i]
    pop = problem.population.astype(np.int64)
    lo, hi = problem.lo, problem.hi
    sub = np.arange(256)
    on = ((sub[:, None] >> np.arange(8)[None, :]) & 1).astype(bool)  # (256, 8): bits of every byte value
    or_t, sum_t = [], []
    for b in range((n + 7) // 8):
        units = np.arange(8 * b, min(8 * b + 8, n))
        t = np.zeros((256, W), dtype=np.uint64)
        for k, u in enumerate(units):
            t[on[:, k]] |= nbr[u]
        or_t.append(t)
        sum_t.append(on[:, :len(units)].astype(np.int64) @ pop[units])
    S = bits[pop <= hi]
    out, total = [], 0

    def too_many(extra: int) -> bool:
        return total + extra > max_sets or (deadline is not None and time.perf_counter() > deadline)

    while len(S):
        total += len(S)
        if too_many(0):
            raise TooManyColumns(f"more than {max_sets} connected sets")
        N = np.zeros_like(S)
        P = np.zeros(len(S), dtype=np.int64)
        for b in range(len(or_t)):
            byte = ((S[:, b // 8] >> np.uint64(8 * (b % 8))) & np.uint64(255)).astype(np.intp)
            N |= or_t[b][byte]
            P += sum_t[b][byte]
        out.append(S[P >= lo - 1e-9])
        root = _lowest_unit(S)
        A = N & ~S
        room = hi - P
        grow, size = [], 0
        for v in range(n):
            m = (((A[:, v // 64] >> np.uint64(v % 64)) & np.uint64(1)) == 1) & (root < v) & (pop[v] <= room)
            if m.any():
                grow.append(S[m] | bits[v])
                size += len(grow[-1])
            if too_many(size - max_sets):  # give up early, within the level (as enumerate_masks)
                raise TooManyColumns(f"more than {max_sets} connected sets")
        if not grow:
            break
        G = np.concatenate(grow)
        _, first = np.unique(wide_keys(G), return_index=True)
        S = G[np.sort(first)]
    return np.concatenate(out) if out else np.zeros((0, W), dtype=np.uint64)


def build_wide_columns(problem: Problem, max_sets: int = 3_000_000, deadline: float | None = None) -> Columns:
    """:func:`build_columns` for any number of units: word masks, keys and membership (see the module docstring).

    Raises :class:`TooManyColumns` like :func:`enumerate_wide`, and when the membership matrix would hold more
    than :data:`WIDE_MAX_CELLS` cells.
    """
    t0 = time.perf_counter()
    words = enumerate_wide(problem, max_sets=max_sets, deadline=deadline)
    if len(words) * problem.n > WIDE_MAX_CELLS:
        raise TooManyColumns(f"{len(words)} districts of {problem.n} units")
    member = wide_membership(words, problem.n)
    keep = rule_filter(problem, member)
    member = member[keep]
    pops, cost, const = member_costs(problem, member)
    return Columns(wide_keys(words[keep]), member, pops, cost, const, time.perf_counter() - t0)


def member_costs(problem: Problem, member: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """:func:`.districts.district_costs` of the (C, n) bool ``member`` by sums over units and over the unit pairs
    that carry a cost (adjacent units, practice homes and their patients' units), not by (C, n) x (n, n)
    products: districts of a few units each are cheap this way (Utrecht: 220,000 districts in 0.3 s, not 2.7 s).
    The same formula (:func:`.districts.weighted_cost`), so the same costs up to rounding."""
    from scipy import sparse  # lazy: only wide columns need it

    w = problem.weights
    coef = objective_coefficients(problem)
    W, A, tot, G = district_parts(problem)
    M = sparse.csr_matrix(member, dtype=float)
    by_unit = np.ascontiguousarray(member.T)

    def pair_sum(Q: np.ndarray) -> np.ndarray:
        """Per district, the sum of Q[u, v] over unordered pairs {u, v} inside it (Q symmetric)."""
        out = np.zeros(len(member))
        for u, v in zip(*np.nonzero(np.triu(Q, 1))):
            out += Q[u, v] * (by_unit[u] & by_unit[v])
        return out

    pops = np.asarray(M @ problem.population.astype(float)).ravel()
    boundary = np.asarray(M @ W.sum(axis=1)).ravel() - 2.0 * pair_sum(W)
    catch = np.zeros(len(member))
    if w.catchment and A.any():
        catch = np.asarray(M @ (tot - np.diag(A))).ravel() - pair_sum(A + A.T)
    touched = np.asarray((M @ G.T) > 0).sum(axis=1) if len(G) else np.zeros(len(member))
    cost = weighted_cost(problem, coef, pops, boundary, catch, touched)
    return pops, np.asarray(cost, dtype=float), plan_constant(problem)


class ByteTables:
    """Sums of per-unit (linear) and per-pair (quadratic) values over bit masks, by byte lookup tables."""

    def __init__(self, masks: np.ndarray, n: int) -> None:
        """Index the bytes of ``masks`` (int64 bit masks over ``n`` units) once; the sums reuse them."""
        self.n = n
        self.nb = (n + 7) // 8
        self.idx = [((masks >> (8 * i)) & 255).astype(np.intp) for i in range(self.nb)]
        sub = np.arange(256)
        self.bitmat = ((sub[:, None] >> np.arange(8)[None, :]) & 1).astype(float)  # (256, 8)

    def _block(self, values: np.ndarray, i: int) -> np.ndarray:
        out = np.zeros(8)
        part = values[8 * i:8 * i + 8]
        out[:len(part)] = part
        return out

    def linear(self, values: np.ndarray) -> np.ndarray:
        """Per mask, the sum of ``values`` (one per unit) over its units."""
        out = np.zeros(len(self.idx[0]))
        for i in range(self.nb):
            out += (self.bitmat @ self._block(values, i))[self.idx[i]]
        return out

    def quadratic(self, Q: np.ndarray) -> np.ndarray:
        """sum over unordered pairs {u, v} in the set of Q[u, v] (Q symmetric, diagonal ignored)."""
        n = self.n
        Qp = np.zeros((8 * self.nb, 8 * self.nb))
        Qp[:n, :n] = Q
        np.fill_diagonal(Qp, 0.0)
        out = np.zeros(len(self.idx[0]))
        B = self.bitmat
        for i in range(self.nb):
            Qii = Qp[8 * i:8 * i + 8, 8 * i:8 * i + 8]
            out += (0.5 * ((B @ Qii) * B).sum(axis=1))[self.idx[i]]
            for j in range(i + 1, self.nb):
                Qij = Qp[8 * i:8 * i + 8, 8 * j:8 * j + 8]
                table = (B @ Qij @ B.T).ravel()
                out += table[self.idx[i] * 256 + self.idx[j]]
        return out


def mask_rule_filter(problem: Problem, masks: np.ndarray) -> np.ndarray:
    """Which bit masks the hard rules allow in some plan: (C,) bool (see :func:`.districts.rule_filter`)."""
    def bits(units: Iterable[int]) -> np.int64:
        return np.int64(sum(1 << int(u) for u in units))

    keep = np.ones(len(masks), dtype=bool)
    for group in problem.keep_together:
        g = bits(group)
        inside = masks & g
        keep &= (inside == 0) | (inside == g)
    for a, b in problem.keep_apart:
        g = bits((a, b))
        keep &= (masks & g) != g
    by_area: dict[int, list[int]] = {}
    for unit, area in problem.locks.items():
        by_area.setdefault(area, []).append(unit)
    areas_in = np.zeros(len(masks), dtype=int)
    for units in by_area.values():
        g = bits(units)
        inside = masks & g
        keep &= (inside == 0) | (inside == g)
        areas_in += inside != 0
    keep &= areas_in <= 1
    return keep


def mask_costs(problem: Problem, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(population, weighted cost) of every bit-mask column and the plan constant.

    The same numbers as :func:`.districts.district_costs` of the masks' membership, from byte lookup tables
    instead of a (C, n) matrix.
    """
    w = problem.weights
    coef = objective_coefficients(problem)
    W, A, tot, G = district_parts(problem)
    tables = ByteTables(masks, problem.n)
    pops = tables.linear(problem.population.astype(float))
    As = A + A.T
    lin = w.catchment * (tot - np.diag(A)) + w.compactness * 0.5 * W.sum(axis=1)
    Q = -w.catchment * As - w.compactness * W
    cost = w.balance * coef.balance_scale * np.abs(pops - problem.target) + tables.linear(lin) + tables.quadratic(Q)
    for members in problem.group_members:
        g = np.int64(sum(1 << int(u) for u in members))
        cost += w.identity * ((masks & g) != 0)
    return pops, cost, plan_constant(problem)


def build_columns(problem: Problem, max_sets: int = 3_000_000, deadline: float | None = None) -> Columns:
    """Enumerate the connected districts within bounds, drop rule-breaking ones, and cost them.

    Parameters
    ----------
    problem : Problem
        Up to :data:`MAX_BITS` units as int64 bit masks; more as word masks (:func:`build_wide_columns`).
    max_sets : int
        The most connected sets the enumeration may generate.
    deadline : float, optional
        A ``time.perf_counter()`` value after which the enumeration gives up.

    Returns
    -------
    Columns
        The districts as bit masks with their populations and costs.

    Raises
    ------
    TooManyColumns
        When the enumeration passes ``max_sets`` or the deadline (see :func:`enumerate_masks`).
    """
    if problem.n > MAX_BITS:
        return build_wide_columns(problem, max_sets=max_sets, deadline=deadline)
    t0 = time.perf_counter()
    masks = enumerate_masks(problem, max_sets=max_sets, deadline=deadline)
    masks = masks[mask_rule_filter(problem, masks)]
    pops, cost, const = mask_costs(problem, masks)
    return Columns(masks, None, pops, cost, const, time.perf_counter() - t0)


def labels_from_columns(problem: Problem, member: np.ndarray) -> np.ndarray:
    """Area labels (one per unit) of chosen districts (rows of ``member``): locked units decide their area,
    the others take the free areas in the order of their lowest unit."""
    labels = np.full(problem.n, -1, dtype=int)
    locked_area: dict[int, int] = {}
    for col in range(len(member)):
        areas = {problem.locks[u] for u in np.flatnonzero(member[col]).tolist() if u in problem.locks}
        if areas:
            locked_area[col] = areas.pop()
    free = [k for k in range(problem.k) if k not in set(locked_area.values())]
    rest = sorted((int(np.flatnonzero(member[c])[0]), c) for c in range(len(member)) if c not in locked_area)
    for (_, c), k in zip(rest, free):
        labels[member[c]] = k
    for c, k in locked_area.items():
        labels[member[c]] = k
    return labels


def start_vector(problem: Problem, cols: Columns, labels: np.ndarray) -> np.ndarray:
    """0/1 per column: the districts of plan ``labels`` (by bit mask, or by membership when masks are ids)."""
    if cols.member is None or cols.masks.dtype.kind == "V":
        return np.isin(cols.masks, plan_masks(problem, labels)).astype(float)
    keys = {np.packbits(labels == k).tobytes() for k in range(problem.k)}
    x = np.zeros(len(cols.member))
    for c, m in enumerate(cols.member):
        key = np.packbits(m).tobytes()
        if key in keys:
            x[c] = 1.0
            keys.discard(key)  # a district listed twice is started once
    return x


def solve_columns(problem: Problem, cols: Columns, time_limit: float = 60.0, threads: int = 1, seed: int = 1,
                  gap: float = 0.0, start: np.ndarray | None = None, forbid: Sequence[np.ndarray] = (),
                  progress: HighsProgress | None = None) -> MethodResult:
    """min sum cost * lambda: every unit covered once, K districts; ``forbid`` excludes earlier plans.

    Parameters
    ----------
    problem : Problem
        The problem the columns belong to.
    cols : Columns
        The districts to choose from.
    time_limit : float
        Seconds for HiGHS.
    threads : int
        Unused: the model is always solved with one thread (see the comment in the code).
    seed, gap : int, float
        HiGHS's random seed and relative MIP gap.
    start : numpy.ndarray, optional
        Labels of a known plan, passed as MIP start when its districts are all among ``cols``.
    forbid : sequence of numpy.ndarray
        Bit masks of earlier plans (:func:`plan_masks`); the result differs from each in a district.
    progress : callable, optional
        HiGHS's (incumbent, bound, seconds) callback.

    Returns
    -------
    MethodResult
        HiGHS's status, the plan's labels (for ``optimal`` and ``feasible``), objective and bound.
    """
    import highspy  # lazy: see highs.py

    t0 = time.perf_counter()
    n = problem.n
    member = cols.members(n)
    C = len(member)
    if C == 0:
        return MethodResult(None, "infeasible", None, None, time.perf_counter() - t0)
    # One thread: the models are small, and HiGHS with 2 threads was seen to stall on them (60 s vs 3 s).
    h = highs.new_highs(time_limit, 1, seed, gap, progress)
    inf = highspy.kHighsInf
    rows_u, cols_u = np.nonzero(member.T)  # row-major over units: (unit, column)
    n_rows = n + 1 + len(forbid)
    entries_r = [rows_u, np.full(C, n)]
    entries_c = [cols_u, np.arange(C)]
    for f, plan in enumerate(forbid):
        chosen = np.flatnonzero(np.isin(cols.masks, plan))
        entries_r.append(np.full(len(chosen), n + 1 + f))
        entries_c.append(chosen)
    r = np.concatenate(entries_r)
    c = np.concatenate(entries_c)
    order = np.lexsort((r, c))
    r, c = r[order], c[order]
    starts = np.searchsorted(c, np.arange(C + 1)).astype(np.int32)
    lp = highspy.HighsLp()
    lp.num_col_ = C
    lp.num_row_ = n_rows
    lp.col_cost_ = cols.cost.astype(float)
    lp.col_lower_ = np.zeros(C)
    lp.col_upper_ = np.ones(C)
    lo = np.concatenate([np.ones(n), [problem.k], np.full(len(forbid), -inf)])
    hi = np.concatenate([np.ones(n), [problem.k], np.full(len(forbid), problem.k - 1.0)])
    lp.row_lower_ = lo
    lp.row_upper_ = hi
    lp.offset_ = float(cols.constant)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = r.astype(np.int32)
    lp.a_matrix_.value_ = np.ones(len(r))
    lp.integrality_ = [highspy.HighsVarType.kInteger] * C
    h.passModel(lp)
    x_start = start_vector(problem, cols, start) if start is not None else None
    status, obj, bound = highs.run_mip(h, x_start.tolist() if x_start is not None and x_start.sum() == problem.k else None)
    labels = None
    if status in ("optimal", "feasible"):
        x = np.asarray(h.getSolution().col_value)
        labels = labels_from_columns(problem, member[x > 0.5])
    return MethodResult(labels, status, obj, bound, time.perf_counter() - t0, n_columns=C)


def plan_masks(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """The bit masks (int64, one per area) of plan ``labels``' districts (for ``forbid`` and ``start_masks``);
    above :data:`MAX_BITS` units their word-mask keys (:func:`wide_keys`)."""
    if problem.n > MAX_BITS:
        bits = _unit_words(problem.n)
        return wide_keys(np.stack([np.bitwise_or.reduce(bits[labels == k], axis=0) for k in range(problem.k)]))
    return np.array([np.int64(sum(1 << int(u) for u in np.flatnonzero(labels == k))) for k in range(problem.k)])


@dataclass
class LPBound:
    """The set-partitioning LP's outcome (:func:`lp_bound`): its optimum and reduced costs, or why there are none."""

    value: float | None  # LP optimum (a valid lower bound), None if the LP is infeasible
    rc: np.ndarray | None  # reduced cost of every column at the LP optimum
    iterations: int
    seconds: float
    infeasible: bool = False  # the LP (so the problem) is proven infeasible


def _restricted_lp(problem: Problem, cols: Columns, chosen: np.ndarray, costs: np.ndarray,
                   art_cost: float) -> tuple[float, np.ndarray, float, float]:
    """Solve the LP over ``chosen`` columns plus artificial columns; (value, unit duals, K dual, artificial sum), value NaN
    when HiGHS does not report the LP optimal (its duals then prove nothing)."""
    import highspy  # lazy: see highs.py

    n, K = problem.n, problem.k
    C = len(chosen)
    member = cols.members(n, chosen)
    rows_u, cols_u = np.nonzero(member.T)
    r = np.concatenate([rows_u, np.full(C, n), np.arange(n), [n, n]])
    c = np.concatenate([cols_u, np.arange(C), C + np.arange(n), [C + n, C + n + 1]])
    v = np.concatenate([np.ones(len(rows_u) + C + n), [1.0, -1.0]])
    order = np.lexsort((r, c))
    r, c, v = r[order], c[order], v[order]
    total = C + n + 2
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    lp = highspy.HighsLp()
    lp.num_col_ = total
    lp.num_row_ = n + 1
    lp.col_cost_ = np.concatenate([costs[chosen], np.full(n + 2, art_cost)])
    lp.col_lower_ = np.zeros(total)
    lp.col_upper_ = np.full(total, highspy.kHighsInf)
    lp.row_lower_ = np.concatenate([np.ones(n), [K]])
    lp.row_upper_ = np.concatenate([np.ones(n), [K]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.searchsorted(c, np.arange(total + 1)).astype(np.int32)
    lp.a_matrix_.index_ = r.astype(np.int32)
    lp.a_matrix_.value_ = v
    h.passModel(lp)
    highs.run(h)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:  # no optimal duals: no bound from this LP
        return float("nan"), np.zeros(n), 0.0, float("inf")
    sol = h.getSolution()
    x = np.asarray(sol.col_value)
    duals = np.asarray(sol.row_dual)
    return float(h.getInfo().objective_function_value), duals[:n], float(duals[n]), float(x[C:].sum())


class _MemberPricer:
    """Per column, the sum of per-unit values over its units, from the membership matrix (sparse)."""

    def __init__(self, cols: Columns) -> None:
        from scipy import sparse  # lazy: only wide columns need it

        assert cols.member is not None
        self.matrix = sparse.csr_matrix(cols.member, dtype=float)

    def linear(self, values: np.ndarray) -> np.ndarray:
        """Per column, the sum of ``values`` (one per unit) over its units."""
        return np.asarray(self.matrix @ values).ravel()


def lp_bound(problem: Problem, cols: Columns, start_masks: np.ndarray | None, deadline: float,
             batch: int = 400) -> LPBound:
    """The set-partitioning LP over all enumerated columns by column generation (complete pricing).

    Phase 1 (no start plan) minimises artificial cover; a positive optimum proves the LP, and so
    the problem, infeasible. Phase 2 minimises cost; its optimum is a valid lower bound.

    Parameters
    ----------
    problem : Problem
        The problem the columns belong to.
    cols : Columns
        Every enumerated district.
    start_masks : numpy.ndarray, optional
        Bit masks of a valid plan (:func:`plan_masks`): its districts start the restricted LP, and phase 1 is skipped.
    deadline : float
        A ``time.perf_counter()`` value; past it the result has no value.
    batch : int
        Columns added per iteration (the most negative reduced costs).

    Returns
    -------
    LPBound
        The LP optimum plus the plan constant and every column's reduced cost; ``value`` None when the
        deadline passed or the LP was proven infeasible (``infeasible=True``).
    """
    t0 = time.perf_counter()
    if len(cols.masks) == 0:  # no connected district within the bounds at all
        return LPBound(None, None, 0, time.perf_counter() - t0, infeasible=True)
    pricer: ByteTables | _MemberPricer = ByteTables(cols.masks, problem.n) if cols.member is None else _MemberPricer(cols)
    chosen = set(np.argsort(cols.cost)[:batch].tolist())
    if start_masks is not None:
        chosen |= set(np.flatnonzero(np.isin(cols.masks, start_masks)).tolist())
    its = 0
    for phase in (1, 2):
        if phase == 1 and start_masks is not None:
            continue
        costs = np.zeros(len(cols.cost)) if phase == 1 else cols.cost
        art = 1.0 if phase == 1 else 1e4
        while True:
            its += 1
            idx = np.array(sorted(chosen), dtype=np.intp)
            value, pi, mu, art_sum = _restricted_lp(problem, cols, idx, costs, art)
            if not np.isfinite(value):
                return LPBound(None, None, its, time.perf_counter() - t0)
            rc = costs - pricer.linear(pi) - mu
            neg = np.flatnonzero(rc < -1e-9)
            if len(neg) == 0:
                break
            if time.perf_counter() > deadline:
                return LPBound(None, None, its, time.perf_counter() - t0)
            take = neg[np.argsort(rc[neg])[:batch]]
            chosen |= set(take.tolist())
        if phase == 1 and value > 1e-7:
            return LPBound(None, None, its, time.perf_counter() - t0, infeasible=True)
    if art_sum > 1e-7:  # big-M artificials still used after phase 1 feasibility: should not happen
        return LPBound(None, None, its, time.perf_counter() - t0)
    return LPBound(value + cols.constant, rc, its, time.perf_counter() - t0)


def solve_exact(problem: Problem, cols: Columns, lp: LPBound, upper: float | None, start: np.ndarray | None,
                deadline: float, threads: int = 1, seed: int = 1, gap: float = 0.0,
                forbid: Sequence[np.ndarray] = (), progress: HighsProgress | None = None) -> MethodResult:
    """Integer optimum over the columns whose reduced cost can still improve on ``upper``.

    With LP bound ``z`` and reduced costs ``rc >= 0``, a plan of value ``v`` uses only columns with
    ``rc <= v - z``. We solve over ``rc <= delta`` and stop when the optimum found is at most
    ``z + delta`` (then no excluded column can do better); otherwise ``delta`` doubles, or, when the round found
    a plan of value ``v`` (above ``z + delta``), becomes ``v - z`` with that plan as the start of the next round.
    The first ``delta`` is small (2 % of ``z``, at least 1, at most ``upper - z``): the LP bound is often the
    optimum or close to it, and a round over few columns is cheap, while all columns within a poor heuristic
    plan's reach can take HiGHS half a minute (Woerden, 4 areas, ±15 %, catchment weight 2: 10,470 columns,
    40 s, against 0.0 s from 2 %).

    Parameters
    ----------
    problem : Problem
        The problem the columns belong to.
    cols : Columns
        Every enumerated district.
    lp : LPBound
        :func:`lp_bound` of ``cols``, with a value.
    upper : float or None
        The objective of a known plan (the first ``delta`` is at most ``upper - z``), or None.
    start : numpy.ndarray or None
        Labels of a known plan for HiGHS's MIP start.
    deadline : float
        A ``time.perf_counter()`` value.
    threads, seed, gap, forbid, progress
        As for :func:`solve_columns`.

    Returns
    -------
    MethodResult
        ``optimal`` with a bound of at least ``z`` when proven; ``feasible`` with bound ``z`` when time
        ran out with a plan; ``infeasible`` when no plan exists over all the columns; else ``no_solution``.
    """
    t0 = time.perf_counter()
    z = lp.value
    assert z is not None and lp.rc is not None, "solve_exact needs an LP bound with a value"
    delta = max(1.0, 0.02 * abs(z)) if upper is None else min(upper - z, max(1.0, 0.02 * abs(z)))
    delta = max(delta, 1e-6) + 1e-6
    best = MethodResult(None, "no_solution", None, z, 0.0)
    while True:
        keep = lp.rc <= delta
        capped = cols.masks.dtype.kind == "V" and int(keep.sum()) > WIDE_IP_COLUMNS
        if capped:  # HiGHS's presolve and root stall on many overlapping columns (and overrun its time limit)
            delta = float(np.partition(lp.rc, WIDE_IP_COLUMNS - 1)[WIDE_IP_COLUMNS - 1])
            keep = lp.rc <= delta
        sub = Columns(cols.masks[keep], None if cols.member is None else cols.member[keep], cols.population[keep],
                      cols.cost[keep], cols.constant, 0.0)
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        res = solve_columns(problem, sub, time_limit=left, threads=threads, seed=seed, gap=gap, start=start,
                            forbid=forbid, progress=progress)
        everything = bool(keep.all())
        if res.status == "optimal":
            assert res.objective is not None  # HiGHS proves an optimum only with a solution in hand
            if res.objective <= z + delta + 1e-9 or everything:
                sub_bound = res.bound if res.bound is not None else z
                res.bound = max(z, min(sub_bound, z + delta)) if not everything else max(z, sub_bound)
                best = res
                break
            if best.objective is None or res.objective < best.objective:
                best = MethodResult(res.labels, "feasible", res.objective, z, res.seconds, n_columns=res.n_columns)
            # the plan found bounds every better plan: only columns with rc <= its value - z can be in one
            assert best.objective is not None
            start = best.labels
            if capped:
                break
            delta = max(delta, best.objective - z) + 1e-6
            continue
        elif res.status == "infeasible" and everything:
            best = res
            break
        elif res.status == "feasible":  # time ran out inside the integer phase
            res.bound = z
            if best.objective is None or (res.objective is not None and res.objective <= best.objective):
                best = res
            break
        if capped:
            break
        delta *= 2
    best.seconds = time.perf_counter() - t0
    return best


@dataclass
class Certificate:
    """Why the set-partitioning LP has no solution: weights ``y`` per unit and ``mu`` for the count row with
    ``y(S) + mu <= 0`` for every district ``S`` but ``y(all units) + K * mu > 0`` (a Farkas certificate).

    Summed over the K districts of any plan the first gives ``y(all) + K mu <= 0``: no plan exists. ``plus`` and
    ``minus`` are the units with weight +1 and -1 when the certificate is that simple (``mu`` 0, every weight
    -1, 0 or 1): every district within the bounds holds at least as many ``minus`` units as ``plus`` units, and
    there are more ``plus`` units than ``minus`` units.
    """

    y: np.ndarray
    mu: float
    plus: list[int]
    minus: list[int]
    simple: bool


def packing_certificate(problem: Problem, cols: Columns, deadline: float, batch: int = 400) -> Certificate | None:
    """The Farkas certificate of an infeasible set-partitioning LP over ``cols`` (all connected districts within
    the bounds), from the duals of phase 1 of :func:`lp_bound`; None when the LP is feasible or ``deadline``
    passes. The certificate is checked against every column before it is returned."""
    if len(cols.masks) == 0:
        return None
    pricer: ByteTables | _MemberPricer = ByteTables(cols.masks, problem.n) if cols.member is None else _MemberPricer(cols)
    chosen = set(np.arange(min(batch, len(cols.masks))).tolist())
    zero = np.zeros(len(cols.cost))
    while True:
        idx = np.array(sorted(chosen), dtype=np.intp)
        value, pi, mu, _ = _restricted_lp(problem, cols, idx, zero, 1.0)
        rc = -pricer.linear(pi) - mu
        neg = np.flatnonzero(rc < -1e-9)
        if len(neg) == 0:
            break
        if time.perf_counter() > deadline:
            return None
        chosen |= set(neg[np.argsort(rc[neg])[:batch]].tolist())
    if value <= 1e-7:
        return None
    y = np.where(np.abs(pi) < 1e-9, 0.0, pi)
    if (pricer.linear(y) + mu).max() > 1e-7 or y.sum() + problem.k * mu <= 1e-7:
        return None  # not a certificate after rounding (should not happen)
    simple = abs(mu) < 1e-9 and bool(np.all(np.isclose(y, np.round(y)) & (np.abs(y) <= 1 + 1e-9)))
    plus = np.flatnonzero(y > 0.5).tolist() if simple else np.flatnonzero(y > 1e-9).tolist()
    minus = np.flatnonzero(y < -0.5).tolist() if simple else np.flatnonzero(y < -1e-9).tolist()
    return Certificate(y, float(mu), plus, minus, simple)


def cover_search(problem: Problem, cols: Columns, deadline: float, order: np.ndarray | None = None,
                 max_nodes: int = 200_000, seed: int = 1) -> np.ndarray | None:
    """A plan from the enumerated districts by exact-cover search (bin-packing aware), or None.

    Depth first: take the uncovered unit with the fewest districts still possible and try those districts (in
    the order of ``order``, e.g. LP reduced costs, best first). A branch is cut when some uncovered unit has no
    district left, or when a connected part of the uncovered units holds a population that fits no whole number
    of areas within ``[lo, hi]``, or their numbers of areas cannot add up to the areas still to place (every
    district is connected, so it lies inside one such part). Restarts with twice the branches each time (1,000
    first), the order perturbed by ``seed``'s noise; stops at ``deadline`` or after ``max_nodes`` branches in one
    run; None then, or when there is no plan at all (the first complete run proves that).

    Parameters
    ----------
    problem : Problem
        The problem the columns belong to.
    cols : Columns
        Every enumerated district (with rules applied).
    deadline : float
        A ``time.perf_counter()`` value.
    order : numpy.ndarray, optional
        A score per column; lower is tried first (default: the column cost).
    max_nodes : int
        The most districts tried in one run.
    seed : int
        Seed of the order's noise in the restarts.

    Returns
    -------
    numpy.ndarray or None
        Area labels of a valid plan (:func:`labels_from_columns`), or None.
    """
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    n, K, lo, hi = problem.n, problem.k, problem.lo, problem.hi
    member = cols.members(n)
    C = len(member)
    if C == 0:
        return None
    score = cols.cost if order is None else order
    rank = np.argsort(score, kind="stable")
    of_unit = [rank[member[rank, u]] for u in range(n)]  # per unit, its columns best first
    adj = sparse.csr_matrix((np.ones(2 * len(problem.edges)),
                             (np.concatenate([problem.edges[:, 0], problem.edges[:, 1]]),
                              np.concatenate([problem.edges[:, 1], problem.edges[:, 0]]))), shape=(n, n))
    pop = problem.population.astype(float)
    blocked = np.zeros(C, dtype=np.int32)
    avail = member.sum(axis=0).astype(np.int64)
    covered = np.zeros(n, dtype=bool)
    chosen: list[int] = []
    nodes = 0

    def areas_fit(left: np.ndarray, k_left: int) -> bool:
        idx = np.flatnonzero(left)
        if len(idx) == 0:
            return k_left == 0
        _, comp = connected_components(adj[idx][:, idx], directed=False)
        sums = np.bincount(comp, weights=pop[idx])
        least = most = 0
        for s in sums:
            m_lo, m_hi = int(np.ceil(s / hi - 1e-9)), int(np.floor(s / lo + 1e-9)) if lo > 0 else k_left
            if m_lo > m_hi:
                return False
            least, most = least + m_lo, most + m_hi
        return least <= k_left <= most

    def take(c: int, sign: int) -> None:
        units = np.flatnonzero(member[c])
        hit = np.concatenate([of_unit[u] for u in units])
        if sign > 0:
            newly = hit[blocked[hit] == 0]
            blocked[hit] += 1
            newly = np.unique(newly)
            avail[:] -= member[newly].sum(axis=0)
        else:
            blocked[hit] -= 1
            newly = np.unique(hit[blocked[hit] == 0])
            avail[:] += member[newly].sum(axis=0)
        covered[units] = sign > 0

    def search(limit: int) -> bool:
        nonlocal nodes
        if covered.all():
            return len(chosen) == K
        if len(chosen) >= K:
            return False
        free = np.flatnonzero(~covered)
        u = int(free[np.argmin(avail[free])])
        if avail[u] == 0:
            return False
        for c in of_unit[u]:
            if blocked[c]:
                continue
            nodes += 1
            if nodes > limit or time.perf_counter() > deadline:
                raise TimeoutError
            take(int(c), 1)
            chosen.append(int(c))
            if areas_fit(~covered, K - len(chosen)) and search(limit):
                return True
            chosen.pop()
            take(int(c), -1)
        return False

    rng = np.random.default_rng(seed)
    budget = 1_000
    while True:  # restarts with a growing node budget: a bad early choice should not take the whole time
        limit = min(budget, max_nodes)
        nodes = 0
        try:
            found = search(limit)
        except TimeoutError:
            found = False
            blocked[:], avail[:], covered[:] = 0, member.sum(axis=0), False
            chosen.clear()
            if limit >= max_nodes or time.perf_counter() > deadline:
                return None
            noise = rng.random(C) * (np.std(score) * 0.2 + 1e-9)
            rank = np.argsort(score + noise, kind="stable")
            of_unit[:] = [rank[member[rank, u]] for u in range(n)]
            budget *= 2
            continue
        return labels_from_columns(problem, member[chosen]) if found else None
