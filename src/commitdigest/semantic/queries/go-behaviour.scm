(call_expression function: (identifier) @raise.type (#eq? @raise.type "panic")) @raise
(if_statement
  condition: (_) @guard.condition
  consequence: (block (statement_list . [(return_statement) (continue_statement) (break_statement)] @guard.exit .))) @guard
(return_statement) @return
