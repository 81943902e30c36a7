"""Pure-Python policy catalogue and reward rule engine (no Django imports).

Public API: see `__all__`. The Django side loads the catalogue with `load_catalogue_file`,
stores `ClauseRule.to_dict()` as the frozen rule version, rebuilds it with
`ClauseRule.from_dict`, cleans form input with `clean_facts` and calls `evaluate`.
"""

from measures.rules.catalogue import (
    Catalogue,
    CatalogueError,
    MeasureDef,
    PolicyDef,
    SectionDef,
    load_catalogue_file,
    parse_catalogue,
)
from measures.rules.engine import (
    clean_facts,
    compile_rule,
    evaluate,
    evaluator_for,
    same_fact_value,
)
from measures.rules.procurement import ProcurementAdvice, procurement_reservation
from measures.rules.types import (
    APPLICANT_TYPE_LABELS,
    DEPARTMENTS,
    ClauseRule,
    Evaluation,
    FactsError,
    FactSpec,
    Material,
    PriorAward,
    RuleDefinitionError,
    format_amount_wan,
)

__all__ = [
    "APPLICANT_TYPE_LABELS",
    "DEPARTMENTS",
    "Catalogue",
    "CatalogueError",
    "ClauseRule",
    "Evaluation",
    "FactSpec",
    "FactsError",
    "Material",
    "MeasureDef",
    "PolicyDef",
    "PriorAward",
    "ProcurementAdvice",
    "RuleDefinitionError",
    "SectionDef",
    "clean_facts",
    "compile_rule",
    "evaluate",
    "evaluator_for",
    "format_amount_wan",
    "load_catalogue_file",
    "parse_catalogue",
    "procurement_reservation",
    "same_fact_value",
]
