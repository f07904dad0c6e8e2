; Behaviour inside one definition.
(raise_statement . (call function: (_) @raise.type)) @raise
(raise_statement . [(identifier) (attribute)] @raise.type) @raise
(if_statement
  condition: (_) @guard.condition
  consequence: (block . [(return_statement) (raise_statement) (continue_statement) (break_statement)] @guard.exit .)) @guard
(return_statement) @return
