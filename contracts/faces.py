"""An import-linter contract: a domain is reached only through its public face.

`[[tool.importlinter.contracts]] type = "face"` names one domain package. Any module outside it (except the
allowed importers, the composition root) may import only the domain's face modules: `service` (the package
itself, not its submodules), `schemas`, `errors` and `enums`. Everything else in the domain (tables, queries,
engines, routes, tasks, the service's own submodules) is private to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import grimp
from importlinter import Contract, ContractCheck, fields, output

DEFAULT_FACES = ("service", "schemas", "errors", "enums")


@dataclass(frozen=True)
class Violation:
    importer: str
    imported: str
    line: int


class FaceContract(Contract):
    type_name = "face"

    domain = fields.StringField()
    faces = fields.ListField(subfield=fields.StringField(), required=False)
    allowed_importers = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        domain = str(self.domain)
        faces = {f"{domain}.{face}" for face in (self.faces or DEFAULT_FACES)} | {domain}  # type: ignore[union-attr]
        allowed = [str(name) for name in (self.allowed_importers or [])]  # type: ignore[union-attr]
        violations: list[Violation] = []
        for imported in sorted(graph.find_descendants(domain) | {domain}):
            if imported in faces:
                continue
            for importer in sorted(graph.find_modules_that_directly_import(imported)):
                if _within(importer, domain) or any(_within(importer, a) for a in allowed):
                    continue
                details = graph.get_import_details(importer=importer, imported=imported)
                line = details[0]["line_number"] if details else 0
                violations.append(Violation(importer, imported, line))
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            output.print_error(
                f"{violation.importer} (l. {violation.line}) imports {violation.imported}, "
                f"which is not part of {self.domain}'s face",
                bold=False,
            )
            output.new_line()


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")
