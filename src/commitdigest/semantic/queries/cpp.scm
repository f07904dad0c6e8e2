(function_definition declarator: (_) @declarator) @definition.function
(translation_unit (declaration declarator: [(function_declarator) (pointer_declarator) (reference_declarator)] @declarator) @definition.function)
(declaration_list (declaration declarator: [(function_declarator) (pointer_declarator) (reference_declarator)] @declarator) @definition.function)
(field_declaration_list (declaration declarator: (function_declarator) @declarator) @definition.function)
(field_declaration_list (field_declaration declarator: [(function_declarator) (pointer_declarator) (reference_declarator)] @declarator) @definition.function)
(class_specifier name: (_) @name body: (_)) @definition.class
(struct_specifier name: (_) @name body: (_)) @definition.struct
(union_specifier name: (_) @name body: (_)) @definition.union
(enum_specifier name: (_) @name body: (_)) @definition.enum
(type_definition declarator: (type_identifier) @name) @definition.type
(alias_declaration name: (type_identifier) @name) @definition.type
(namespace_definition name: (_) @name) @definition.namespace
(preproc_def name: (identifier) @name value: (_)) @definition.constant
(namespace_definition) @scope
