(if_statement
  condition: (_) @guard.condition
  consequence: [(return_statement) (continue_statement) (break_statement)] @guard.exit) @guard
(if_statement
  condition: (_) @guard.condition
  consequence: (compound_statement . [(return_statement) (continue_statement) (break_statement)] @guard.exit .)) @guard
(return_statement) @return
