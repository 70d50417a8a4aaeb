"""The HTTP service wing: plans, checks, FHIR R4 resources and CDS Hooks 2.0 cards for clinic systems.

Install with ``pip install '.[service]'`` (FastAPI, uvicorn, httpx, PyJWT, fhir.resources)
and run ``pore-protocol serve``. The wing imports the core (its public API, the English
rendering of rules and the FHIR mapping), never another wing; the core never imports it,
so ``pore-protocol evaluate`` never loads FastAPI.

Modules: ``_server`` (processes and signals), ``_state`` (the reloadable protocol a worker
serves), ``_guard`` (tokens, body limit, JSON errors, one log line per request), ``_app``
(the endpoints), ``_auth`` (JWT and the replay store), ``_cds`` (CDS Hooks), ``_fhir_facts``
(facts out of FHIR resources, through ``fhir-mapping.yaml``), ``_fhir_resources`` (CarePlan,
PlanDefinition, CodeSystem, OperationOutcome).
"""

from __future__ import annotations

from engine.service._fhir_facts import Extraction, FactReader, resources_of
from engine.service._server import ConfigError, check_config, serve
from engine.service._state import ServiceConfig

__all__ = ["ConfigError", "Extraction", "FactReader", "ServiceConfig", "check_config", "resources_of", "serve"]
