"""The one home of user-facing wording: Dutch and English phrases, number formats and HTML escaping.

Everything a person reads (terminal, metrics.json, maps, compare pages, the handreiking, the
workbench) takes its numbers and sentences from here, so a phrase or a number format is
changed in one place. Dutch is written the Dutch way (``53.725`` inhabitants, ``41,6 %``),
English the English way (``53,725`` and ``41.6 %``).

This module imports nothing from the package: every layer may use it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

LANGS = ("nl", "en")


# ---------------------------------------------------------------- numbers and escaping


def format_int(value: float, lang: str = "nl") -> str:
    """A whole number with a thousands separator, for tables, maps and documents.

    Parameters
    ----------
    value : float
        The number; it is rounded to the nearest whole number.
    lang : str
        ``"nl"`` (``6.908``) or ``"en"`` (``6,908``).

    Returns
    -------
    str
    """
    text = f"{int(round(float(value))):,}"
    return text.replace(",", ".") if lang == "nl" else text


def format_num(value: float | None, decimals: int = 0, lang: str = "nl", grouping: bool = True) -> str:
    """A number with the language's thousands and decimal separators.

    Parameters
    ----------
    value : float or None
        The number; None gives an en dash.
    decimals : int
        Digits after the decimal mark.
    lang : str
        ``"nl"`` (53.725 / 9,5) or ``"en"`` (53,725 / 9.5).
    grouping : bool
        Whether to write a thousands separator; without it only the decimal mark follows
        the language (``1234,50`` / ``1234.50``, as in the score table of compare pages).

    Returns
    -------
    str
    """
    if value is None:
        return "–"
    text = f"{float(value):{',' if grouping else ''}.{decimals}f}"
    if lang == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_pct(fraction: float | None, decimals: int = 1, lang: str = "nl", signed: bool = False,
               grouping: bool = True) -> str:
    """A fraction as a percentage: 0.416 -> ``'41,6 %'`` (nl) or ``'41.6 %'`` (en).

    Parameters
    ----------
    fraction : float or None
        The fraction (1.0 is 100 %); None gives an en dash.
    decimals : int
        Digits after the decimal mark.
    lang : str
        ``"nl"`` or ``"en"``.
    signed : bool
        Give a positive value a plus sign (``'+6,1 %'``).
    grouping : bool
        Whether percentages of 1000 and more get a thousands separator (see :func:`format_num`).

    Returns
    -------
    str
    """
    if fraction is None:
        return "–"
    text = format_num(100 * float(fraction), decimals, lang, grouping)
    if signed and float(fraction) > 0:
        text = "+" + text
    return f"{text} %"


def escape(value: Any) -> str:
    """HTML-escape a value for a page.

    Parameters
    ----------
    value : Any
        Anything; it is turned into text with ``str``.

    Returns
    -------
    str
        The text with ``<``, ``>``, ``&`` and both quotes escaped.
    """
    return html.escape(str(value))


def slug(text: str) -> str:
    """A file-system friendly lower-case name: 'De Ronde Venen' -> 'de-ronde-venen'.

    Parameters
    ----------
    text : str
        Any name; accents are dropped, every run of other characters becomes one ``-``.

    Returns
    -------
    str
        The slug, or ``"plan"`` when nothing is left.
    """
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "plan"


# ---------------------------------------------------------------- scores side by side (report.compare)

SCORE_WORDS: dict[str, dict[str, str]] = {
    "k": {"nl": "Aantal gebieden", "en": "areas", "unit": ""},
    "valid": {"nl": "Voldoet aan alle harde regels", "en": "meets every hard rule", "unit": ""},
    "n_violations": {"nl": "Aantal overtredingen", "en": "violations", "unit": ""},
    "objective": {"nl": "Doelfunctie (gewogen, lager is beter)", "en": "objective (weighted, lower is better)",
                  "unit": "punten"},
    "balance": {"nl": "Term balans", "en": "balance term", "unit": "punten"},
    "catchment": {"nl": "Term praktijkpopulaties", "en": "catchment term", "unit": "punten"},
    "identity": {"nl": "Term identiteit (extra stukken)", "en": "identity term", "unit": "punten"},
    "compactness": {"nl": "Term compactheid", "en": "compactness term", "unit": "punten"},
    "max_population_deviation": {"nl": "Grootste afwijking van doelgrootte", "en": "max deviation from target",
                                 "unit": "fractie"},
    "min_population": {"nl": "Kleinste gebied", "en": "smallest area (inhabitants)", "unit": "inwoners"},
    "max_population": {"nl": "Grootste gebied", "en": "largest area (inhabitants)", "unit": "inwoners"},
    "patients_in_own_area": {"nl": "Patiënten in eigen gebied", "en": "patients in own area", "unit": "fractie"},
    "identity_splits": {"nl": "Gesplitste identiteitsgroepen (extra stukken)", "en": "identity splits", "unit": ""},
    "cut_boundary_km": {"nl": "Grenslengte tussen gebieden", "en": "cut boundary (km)", "unit": "km"},
    "cut_edges": {"nl": "Doorgesneden buurtgrenzen", "en": "cut buurt boundaries", "unit": ""},
}
"""Per score key: its label in Dutch (``nl``: compare.html, compare.csv) and English (``en``: the terminal),
and its unit (``unit``, Dutch, the ``unit`` column of compare.csv)."""

VALUE_WORDS: dict[str, dict[str, str]] = {
    "nl": {"yes": "ja", "no": "nee", "none": "n.v.t."},
    "en": {"yes": "yes", "no": "no", "none": "n/a"},
}
"""Words for values that are not numbers: true, false and missing (not applicable)."""


def score_label(key: str, lang: str = "nl") -> str:
    """The label of one score row.

    Parameters
    ----------
    key : str
        A key of :data:`SCORE_WORDS` (``objective``, ``cut_edges``, ...).
    lang : str
        ``"nl"`` (``'Aantal gebieden'``) or ``"en"`` (``'areas'``).

    Returns
    -------
    str
    """
    return SCORE_WORDS[key]["nl" if lang == "nl" else "en"]


def score_unit(key: str) -> str:
    """The unit of one score row (Dutch, as in compare.csv): ``punten``, ``fractie``, ``inwoners``, ``km`` or ``''``.

    Parameters
    ----------
    key : str
        A key of :data:`SCORE_WORDS`.

    Returns
    -------
    str
    """
    return SCORE_WORDS[key]["unit"]


def value_word(value: bool | None, lang: str = "nl") -> str:
    """A yes/no value, or a missing one, as a word.

    Parameters
    ----------
    value : bool or None
        True, False, or None for "not applicable".
    lang : str
        ``"nl"`` (ja / nee / n.v.t.) or ``"en"`` (yes / no / n/a).

    Returns
    -------
    str
    """
    words = VALUE_WORDS["nl" if lang == "nl" else "en"]
    return words["none"] if value is None else words["yes"] if value else words["no"]


# ---------------------------------------------------------------- solver status

STATUS_WORDS = {
    "en": {"optimal": "optimal", "heuristic": "heuristic (no bound)", "infeasible": "infeasible",
           "no_solution": "no plan found"},
    "nl": {"optimal": "optimaal", "heuristic": "heuristisch (geen grens)", "infeasible": "onmogelijk",
           "no_solution": "geen plan gevonden"},
}


def status_text(status: str, gap: float | None, lang: str = "en") -> str:
    """A solver status as short words: ``'optimal'``, ``'gap 3.2 %'``, ``'heuristic (no bound)'`` (or Dutch).

    Parameters
    ----------
    status : str
        ``optimal``, ``gap``, ``heuristic``, ``infeasible`` or ``no_solution``.
    gap : float or None
        The relative gap, used when ``status`` is ``gap``.
    lang : str
        ``"en"`` (CLI, metrics.json) or ``"nl"`` (documents, workbench).

    Returns
    -------
    str
    """
    if status == "gap":
        return f"gap {100 * (gap or 0):.1f} %"
    words = STATUS_WORDS["nl" if lang == "nl" else "en"]
    return words.get(status, words["no_solution"])


# ---------------------------------------------------------------- catchments

CATCHMENT_METHOD = {
    "nl": {"huff": "geschat met een zwaartekrachtmodel (Huff): aandeel per buurt naar aantal huisartsen en afstand tot de praktijk",
           "given": "opgegeven door de praktijken", "road": "wegafstand"},
    "en": {"huff": "estimated with a gravity (Huff) model: share per buurt by number of GPs and distance to the practice",
           "given": "given by the practices", "road": "road distance"},
}


def catchment_method(kind: str, lang: str = "nl", network: str | None = None) -> str:
    """How the patients per practice per buurt were obtained, as a phrase.

    Parameters
    ----------
    kind : str
        ``huff`` (estimated with a gravity model) or ``given`` (given by the practices).
    lang : str
        ``"nl"`` or ``"en"``.
    network : str or None
        The OSM road network (``drive`` or ``walk``) when the estimate used road distances.

    Returns
    -------
    str
    """
    words = CATCHMENT_METHOD["nl" if lang == "nl" else "en"]
    text = words[kind]
    if network is not None:
        text += f" ({words['road']} OSM, {network})"
    return text


# ---------------------------------------------------------------- added neighbours (data.adjacency)

ADDED_EDGE = {
    "nl": {"gap": "buren: {d} uit elkaar (data.adjacency.max_gap_m)",
           "pass_through": "buren over {via} heen: {d} uit elkaar (data.adjacency.pass_through)",
           "road": "buren via een weg (OpenStreetMap): {d} uit elkaar (data.adjacency.osm_roads)"},
    "en": {"gap": "neighbours: {d} apart (data.adjacency.max_gap_m)",
           "pass_through": "neighbours across {via}: {d} apart (data.adjacency.pass_through)",
           "road": "neighbours by road (OpenStreetMap): {d} apart (data.adjacency.osm_roads)"},
}


def added_edge_reason(reason: str, distance_m: float, via: str | None = None, lang: str = "nl") -> str:
    """Why two buurten were made neighbours (an edge of ``data.adjacency``), as a phrase.

    Parameters
    ----------
    reason : str
        ``gap``, ``pass_through`` or ``road``.
    distance_m : float
        Metres between the two polygons.
    via : str or None
        Name of the pass-through buurt.
    lang : str
        ``"nl"`` or ``"en"``.

    Returns
    -------
    str
    """
    words = ADDED_EDGE["nl" if lang == "nl" else "en"]
    return words[reason].format(d=f"{format_num(distance_m, 0, lang)} m", via=via or "?")


# ---------------------------------------------------------------- broken rules (metrics.Violation)

VIOLATION_EN = {
    "labels": lambda v: f"the plan must give each of the {v.value:.0f} buurten an area 0..{v.bound:.0f}",
    "empty": lambda v: f"{v.subject} is empty",
    "below": lambda v: f"{v.subject} has {v.value:.0f} inhabitants, below the minimum {v.bound:.0f}",
    "above": lambda v: f"{v.subject} has {v.value:.0f} inhabitants, above the maximum {v.bound:.0f}",
    "not_contiguous": lambda v: f"{v.subject} is not contiguous",
    "lock": lambda v: f"{v.subject} is locked to {v.other}",
    "split_group": lambda v: f"keep-together group {v.subject} is split",
    "together": lambda v: f"{v.subject} and {v.other} must be apart",
}
VIOLATION_NL = {
    "labels": lambda v: f"het plan moet elk van de {v.value:.0f} buurten een gebied 0..{v.bound:.0f} geven",
    "empty": lambda v: f"{v.subject} is leeg",
    "below": lambda v: f"{v.subject} heeft {format_int(v.value)} inwoners, onder het minimum van {format_int(v.bound)}",
    "above": lambda v: f"{v.subject} heeft {format_int(v.value)} inwoners, boven het maximum van {format_int(v.bound)}",
    "not_contiguous": lambda v: f"{v.subject} is niet aaneengesloten",
    "lock": lambda v: f"{v.subject} is vastgezet op {v.other} maar ligt daar niet",
    "split_group": lambda v: f"de groep {v.subject} (bij elkaar houden) is gesplitst",
    "together": lambda v: f"{v.subject} en {v.other} moeten in verschillende gebieden liggen",
}


# ---------------------------------------------------------------- diagnosis (optimise.diagnosis.Phrase kinds)

DIAGNOSIS_EN = {
    "more": " and {more} more buurten",
    "more_one": " and 1 more buurt",
    "or": ", or ",
    "few_buurten": "there are only {n} buurten for {k} areas",
    "too_small": "{k} areas of at most {hi} inhabitants hold at most {most}, less than the {total} inhabitants",
    "too_large": "{k} areas of at least {lo} inhabitants need {least}, more than the {total} inhabitants",
    "buurt_above": "{name} alone has {pop} inhabitants, above the maximum of {hi}",
    "group_above": "the keep-together group {group} has {pop} inhabitants, above the maximum of {hi}",
    "lock_no_area": "{name} is locked to area {area}, which does not exist with {k} areas",
    "group_locks_differ": "the keep-together group {group} holds buurten locked to different areas",
    "apart_in_group": "{a} and {b} must be kept apart (rules.keep_apart) but are in one keep-together group "
                      "(rules.keep_together)",
    "locked_above": "{units} are locked to {area} and together have {pop} inhabitants, above the maximum of {hi}",
    "apart_locked": "{a} and {b} must be kept apart but are locked to the same area",
    "part_disconnected": "the part {part} ({pop} inhabitants) is not connected to the rest and cannot be divided "
                         "into areas of {lo}–{hi}",
    "choke_part": "the part {units} ({pop} inhabitants) can only be reached through {via} ({via_pop}) and cannot all "
                  "form areas of their own, so {via}'s area would need at least {need} inhabitants, above the maximum "
                  "of {hi}",
    "choke_parts": "{count} parts ({units}; {pop} inhabitants) can only be reached through {via} ({via_pop}) and "
                   "cannot all form areas of their own, so {via}'s area would need at least {need} inhabitants, above "
                   "the maximum of {hi}",
    "tolerance_from": "{k} areas fit from ±{pct} % ({lo}–{hi} inhabitants)",
    "tolerance_at": "{k} areas fit at ±{pct} % ({lo}–{hi} inhabitants)",
    "count": "{k} areas at ±{pct} %",
    "without_lock": "without the lock on {name}",
    "without_group": "without the keep-together group {names}",
    "without_apart": "without keeping {a} and {b} apart",
    "rules_one": "A valid plan exists {rules}; remove that rule from the config.",
    "rules_many": "A valid plan exists {rules}; remove one of these rules from the config.",
    "plan_exists": "A plan with {k} areas exists ({status}).",
    "none_exists": "No division into {k} areas of {lo}–{hi} inhabitants exists",
    "none_found": "No division into {k} areas of {lo}–{hi} inhabitants was found within the time limit",
    "exact": " (the exact model over all connected areas within the bounds has no solution; no single buurt, rule or "
             "choke point explains it alone)",
    "no_relaxation": "No nearby relaxation (other tolerance or number of areas) was found to work.",
    "stranded": "{name} ({pop}) fits in no area: every connected group of buurten with it has fewer than {lo} or "
                "more than {hi} inhabitants",
    "exact_why": " (the exact model over all connected areas within the bounds has no solution: {why})",
    "partners": "every connected area of {lo}–{hi} inhabitants that holds one of {plus} also holds at least as many "
                "of {minus}, so these {count} buurten need {count} such partners but there are only {few}",
    "shortage": "{plus} each need a neighbouring buurt in their area to reach {lo} inhabitants, but the only "
                "neighbours that keep them within {hi} are {minus} (a part that hangs on one buurt counted with it) "
                "and no two of them fit in one area, so these {count} buurten need {count} such partners but there "
                "are only {few}",
    "levers": "Other levers: {levers}.",
    "lever_adjacency": "if {via} ({via_pop}) does not separate its neighbours (a road, water or business park), name "
                       "it under data.adjacency.pass_through, or let buurten close to each other count as neighbours "
                       "with data.adjacency.max_gap_m",
    "lever_own_area": "accept {names} as areas of their own above the maximum of {hi}",
    "lever_own_area_one": "accept {names} as an area of its own above the maximum of {hi}",
    "lever_split": "split the largest buurten involved ({names}) into smaller building blocks, if you can provide them",
}
DIAGNOSIS_NL = {
    "more": " en nog {more} buurten",
    "more_one": " en nog 1 buurt",
    "or": ", of ",
    "few_buurten": "er zijn maar {n} buurten voor {k} gebieden",
    "too_small": "{k} gebieden van hoogstens {hi} inwoners bevatten samen hoogstens {most}, minder dan de {total} "
                 "inwoners",
    "too_large": "{k} gebieden van minstens {lo} inwoners hebben samen minstens {least} nodig, meer dan de {total} "
                 "inwoners",
    "buurt_above": "{name} heeft alleen al {pop} inwoners, boven het maximum van {hi}",
    "group_above": "de bij elkaar te houden groep {group} heeft {pop} inwoners, boven het maximum van {hi}",
    "lock_no_area": "{name} is vastgezet op gebied {area}, dat bij {k} gebieden niet bestaat",
    "group_locks_differ": "de bij elkaar te houden groep {group} bevat buurten die op verschillende gebieden zijn "
                          "vastgezet",
    "apart_in_group": "{a} en {b} moeten gescheiden blijven (rules.keep_apart) maar zitten in één bij elkaar te houden "
                      "groep (rules.keep_together)",
    "locked_above": "{units} zijn vastgezet op {area} en hebben samen {pop} inwoners, boven het maximum van {hi}",
    "apart_locked": "{a} en {b} moeten gescheiden blijven maar zijn op hetzelfde gebied vastgezet",
    "part_disconnected": "het deel {part} ({pop} inwoners) is niet verbonden met de rest en kan niet worden verdeeld "
                         "in gebieden van {lo}–{hi} inwoners",
    "choke_part": "het deel {units} ({pop} inwoners) is alleen bereikbaar via {via} ({via_pop}) en kan niet geheel uit "
                  "eigen gebieden bestaan, dus het gebied van {via} zou minstens {need} inwoners nodig hebben, boven "
                  "het maximum van {hi}",
    "choke_parts": "{count} delen ({units}; {pop} inwoners) zijn alleen bereikbaar via {via} ({via_pop}) en kunnen "
                   "niet allemaal eigen gebieden vormen, dus het gebied van {via} zou minstens {need} inwoners nodig "
                   "hebben, boven het maximum van {hi}",
    "tolerance_from": "{k} gebieden passen vanaf ±{pct} % ({lo}–{hi} inwoners)",
    "tolerance_at": "{k} gebieden passen bij ±{pct} % ({lo}–{hi} inwoners)",
    "count": "{k} gebieden bij ±{pct} %",
    "without_lock": "zonder {name} vast te zetten",
    "without_group": "zonder de bij elkaar te houden groep {names}",
    "without_apart": "zonder {a} en {b} gescheiden te houden",
    "rules_one": "Er bestaat een geldig plan {rules}; haal die regel uit de config.",
    "rules_many": "Er bestaat een geldig plan {rules}; haal een van deze regels uit de config.",
    "plan_exists": "Er bestaat een plan met {k} gebieden ({status}).",
    "none_exists": "Er bestaat geen indeling in {k} gebieden van {lo}–{hi} inwoners",
    "none_found": "Binnen de tijdslimiet is geen indeling in {k} gebieden van {lo}–{hi} inwoners gevonden",
    "exact": " (het exacte model over alle samenhangende gebieden binnen de grenzen heeft geen oplossing; geen enkele "
             "buurt, regel of knelpunt verklaart dat op zichzelf)",
    "no_relaxation": "Geen nabije versoepeling (een andere marge of een ander aantal gebieden) bleek te werken.",
    "stranded": "{name} ({pop}) past in geen enkel gebied: elke samenhangende groep buurten met deze buurt heeft minder "
                "dan {lo} of meer dan {hi} inwoners",
    "exact_why": " (het exacte model over alle samenhangende gebieden binnen de grenzen heeft geen oplossing: {why})",
    "partners": "elk samenhangend gebied van {lo}–{hi} inwoners met een van {plus} bevat minstens evenveel van "
                "{minus}, dus deze {count} buurten hebben {count} zulke partners nodig maar er zijn er maar {few}",
    "shortage": "{plus} hebben elk een aangrenzende buurt in hun gebied nodig om {lo} inwoners te halen, maar "
                "alleen {minus} houdt ze binnen {hi} (een deel dat aan één buurt hangt telt met die buurt mee) en "
                "geen twee ervan passen in één gebied, dus deze {count} buurten hebben {count} zulke partners nodig "
                "maar er zijn er maar {few}",
    "levers": "Andere mogelijkheden: {levers}.",
    "lever_adjacency": "als {via} ({via_pop}) zijn buren niet scheidt (een weg, water of bedrijventerrein), noem deze "
                       "buurt onder data.adjacency.pass_through, of laat dicht bij elkaar liggende buurten buren zijn "
                       "met data.adjacency.max_gap_m",
    "lever_own_area": "sta {names} toe als eigen gebieden boven het maximum van {hi}",
    "lever_own_area_one": "sta {names} toe als eigen gebied boven het maximum van {hi}",
    "lever_split": "deel de grootste betrokken buurten ({names}) op in kleinere bouwstenen, als u die kunt aanleveren",
}


# ---------------------------------------------------------------- the startfoto (area profiles)

# What the tool computes itself for every area: key -> (Dutch title, English title, unit).
PROFILE_BUILTIN = {
    "inwoners": ("Inwoners", "Inhabitants", ""),
    "oppervlakte_km2": ("Oppervlakte (km², incl. water)", "Surface (km², incl. water)", "km²"),
    "inwoners_per_km2": ("Inwoners per km²", "Inhabitants per km²", "/km²"),
    "huisartsen_per_10000": ("Huisartsen per 10.000 inwoners", "GPs per 10,000 inhabitants", ""),
    "praktijken_per_10000": ("Huisartsenpraktijken per 10.000 inwoners", "GP practices per 10,000 inhabitants", ""),
    "afstand_huisarts_m": ("Gem. afstand tot de dichtstbijzijnde huisartsenpraktijk", "Mean distance to the nearest GP practice", "m"),
}
DISTANCE_METHOD = {"straight": ("hemelsbreed", "straight line"), "drive": ("over de weg", "by road"),
                   "walk": ("over looproutes", "walking routes")}
UNKNOWN = {"nl": "onbekend", "en": "unknown"}
PROFILE_NOTES = {
    "nl": {"coverage": "bekend voor {pct} van de inwoners; onder {min} staat er 'onbekend'",
           "unknown_rule": "'onbekend' waar een waarde voor minder dan {min} van de inwoners bekend is",
           "fictional": "FICTIEF: berekend uit de fictieve voorbeeldlijst van praktijken",
           "municipality": "Gemeente", "title": "Startfoto per gebied", "per_area": "gemiddeld per gebied"},
    "en": {"coverage": "known for {pct} of the inhabitants; below {min} it says 'unknown'",
           "unknown_rule": "'unknown' where a value is known for less than {min} of the inhabitants",
           "fictional": "FICTIEF (fictional): computed from the fictional example list of practices",
           "municipality": "Municipality", "title": "Area profiles (startfoto)", "per_area": "average per area"},
}


def profile_title(key: str, lang: str = "nl", method: str | None = None) -> str | None:
    """The title of a built-in startfoto indicator (None for a key the tool does not compute).

    ``method`` (``straight``, ``drive``, ``walk``) is added to the distance's title: "(m, hemelsbreed)".
    """
    if key not in PROFILE_BUILTIN:
        return None
    nl, en, _ = PROFILE_BUILTIN[key]
    title = nl if lang == "nl" else en
    if key == "afstand_huisarts_m":
        words = DISTANCE_METHOD.get(method or "straight", DISTANCE_METHOD["straight"])
        title += f" (m, {words[0] if lang == 'nl' else words[1]})"
    return title


def format_indicator(value: float | None, unit: str = "", percent: bool = False, lang: str = "nl") -> str:
    """An indicator's value as people read it: ``onbekend`` for None, a share as a percentage.

    Parameters
    ----------
    value : float or None
        The value (a share is a fraction 0..1); None when unknown (coverage below the minimum).
    unit : str
        Unit shown after the number ("m", "km²", "euro"); ignored for a percentage.
    percent : bool
        The value is a fraction to write as a percentage (an unscaled share). Other values below
        100 get one decimal, larger ones none.
    lang : str
        ``"nl"`` or ``"en"``.

    Returns
    -------
    str
    """
    if value is None:
        return UNKNOWN.get(lang, UNKNOWN["en"])
    if percent:
        return format_pct(value, 1, lang)
    decimals = 0 if abs(value) >= 100 or float(value).is_integer() else 1
    text = format_num(value, decimals, lang)
    return f"{text} {unit}" if unit else text


# ---------------------------------------------------------------- workbench (wijkindeling sessie)

WORKBENCH_NL = {
    "no_scenario": "Het scenario '{name}' bestaat niet (meer) in deze sessie; open een bestaand scenario of laad de pagina opnieuw.",
    "unknown_buurt": "Buurtcode '{code}' is geen buurt van deze gemeente; kies een buurt op de kaart.",
    "unknown_area": "Gebiedsnummer {area} bestaat niet; dit plan heeft {k} gebieden, genummerd 0 tot en met {last}.",
    "same_area": "{buurt} ligt al in {area}; kies een ander gebied.",
    "locked_buurt": "{buurt} is vastgezet; maak de buurt eerst los om haar te verplaatsen.",
    "locked_area": "{area} is vastgezet; maak het gebied eerst los om er buurten in of uit te verplaatsen.",
    "nothing_to_undo": "Er is niets om ongedaan te maken.",
    "nothing_to_redo": "Er is niets om opnieuw te doen.",
    "empty_name": "Een gebiedsnaam mag niet leeg zijn; typ een naam.",
    "duplicate_name": "Er is al een gebied met de naam '{name}'; kies een andere naam.",
    "bad_name": "Een gebiedsnaam mag geen < of > of stuurtekens bevatten; gebruik gewone letters, cijfers en leestekens.",
    "name_too_long": "Een gebiedsnaam mag hoogstens {limit} tekens hebben; kort de naam in.",
    "note_too_long": "Een notitie mag hoogstens {limit} tekens hebben; kort de notitie in of verdeel haar.",
    "body_too_large": "Het verzoek is groter dan {limit} bytes; kort de tekst in.",
    "bad_json": "Het verzoek is geen geldige JSON; stuur een JSON-object.",
    "bad_request": "Het verzoek klopt niet: {detail}; stuur de velden zoals de pagina dat doet.",
    "bad_scenario_name": "Een scenarionaam mag alleen letters, cijfers, '-' en '_' hebben (hoogstens 60 tekens); kies een andere naam.",
    "scenario_exists": "Scenario '{name}' bestaat al in {folder}; kies een andere naam of zet 'overschrijven' aan.",
    "scenario_not_found": "Scenario '{name}' heeft geen plan.csv in {folder}; kies een opgeslagen scenario.",
    "empty_area_save": "{area} heeft geen buurten; een plan met een leeg gebied kan niet worden opgeslagen.",
    "job_running": "Er loopt al een herberekening; wacht tot die klaar is of breek haar af.",
    "no_job": "Er loopt geen herberekening.",
    "all_locked": "Alle buurten liggen vast; maak een gebied of buurt los om te herberekenen.",
    "forbidden": "Geen toegang: open de pagina met de link (met toegangscode) die de terminal toont.",
    "not_found": "Deze pagina bestaat niet.",
    "job_started": "Herberekenen van de rest loopt ...",
    "job_cancelled": "Herberekening afgebroken; het plan is niet veranderd.",
    "job_done": "Herberekend: {status} in {seconds} s.",
    "job_no_plan": "Geen plan gevonden ({status}): {message}",
    "job_failed": "De herberekening is mislukt: {message}",
}


def workbench_text(key: str, **values: Any) -> str:
    """A Dutch sentence of the workbench (``wijkindeling sessie``), e.g. an error answer, with ``values`` filled in."""
    return WORKBENCH_NL[key].format(**values)
