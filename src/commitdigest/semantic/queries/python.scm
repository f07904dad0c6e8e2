; Definitions: @definition.<kind> is the definition's node, @name its name.
(function_definition name: (identifier) @name) @definition.function
(class_definition name: (identifier) @name) @definition.class
; module-level constants: NAME = value (upper-case names only, by Python's convention)
(module (expression_statement
  (assignment left: (identifier) @name (#match? @name "^(_*[A-Z][A-Z0-9_]*|__version__)$"))) @definition.constant)
