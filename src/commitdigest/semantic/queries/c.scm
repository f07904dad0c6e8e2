(function_definition declarator: (_) @declarator) @definition.function
(translation_unit (declaration declarator: [(function_declarator) (pointer_declarator)] @declarator) @definition.function)
(struct_specifier name: (_) @name body: (_)) @definition.struct
(union_specifier name: (_) @name body: (_)) @definition.union
(enum_specifier name: (_) @name body: (_)) @definition.enum
(type_definition declarator: (type_identifier) @name) @definition.type
(preproc_def name: (identifier) @name value: (_)) @definition.constant
