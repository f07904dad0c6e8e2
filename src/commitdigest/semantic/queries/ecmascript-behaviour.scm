(throw_statement (new_expression constructor: (_) @raise.type)) @raise
(throw_statement (call_expression function: (_) @raise.type)) @raise
(if_statement
  condition: (_) @guard.condition
  consequence: [(return_statement) (throw_statement) (continue_statement) (break_statement)] @guard.exit) @guard
(if_statement
  condition: (_) @guard.condition
  consequence: (statement_block . [(return_statement) (throw_statement) (continue_statement) (break_statement)] @guard.exit .)) @guard
(return_statement) @return
