"""An import-linter contract the stock ones cannot say: "imports only the standard library".

Used by ``make lint`` (``[tool.importlinter]`` in the root ``pyproject.toml``) on
every service's ``domain`` room and on the kit's standard-library modules
(``caekit.rules``, ``caekit.period``). A source module may import the standard
library, its own package, and the modules listed in ``allowed_modules``;
anything else (SQLAlchemy, marshmallow, nameko, another room) breaks the
contract, with the line that imports it. Needs ``include_external_packages``.
"""

from __future__ import annotations

import sys

from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain.helpers import module_expressions_to_modules


class StandardLibraryOnlyContract(Contract):
    type_name = "standard_library_only"

    source_modules = fields.ListField(subfield=fields.ModuleExpressionField())
    allowed_modules = fields.ListField(subfield=fields.ModuleField(), required=False)

    def check(self, graph, verbose: bool) -> ContractCheck:
        roots = {m.name for m in module_expressions_to_modules(graph, self.source_modules)}
        sources = {m.name for m in module_expressions_to_modules(graph, self.source_modules,
                                                                  as_packages=True)}
        allowed = {m.name for m in (self.allowed_modules or ())}

        def within(name: str, packages) -> bool:
            return any(name == p or name.startswith(p + ".") for p in packages)

        broken = []
        for importer in sorted(sources):
            own = [root for root in roots if within(importer, [root])]
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                if (imported.split(".")[0] in sys.stdlib_module_names
                        or within(imported, own) or within(imported, allowed)):
                    continue
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    broken.append((importer, imported, detail["line_number"],
                                   detail["line_contents"]))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, line, contents in check.metadata["broken"]:
            output.print_error(f"{importer} imports {imported} (l.{line}: {contents})", bold=True)
            output.new_line()
