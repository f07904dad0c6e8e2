(throw_statement (call_expression function: (_) @raise.type)) @raise
(throw_statement [(identifier) (qualified_identifier)] @raise.type) @raise
(if_statement
  condition: (_) @guard.condition
  consequence: [(return_statement) (throw_statement) (continue_statement) (break_statement)] @guard.exit) @guard
(if_statement
  condition: (_) @guard.condition
  consequence: (compound_statement . [(return_statement) (throw_statement) (continue_statement) (break_statement)] @guard.exit .)) @guard
(return_statement) @return
