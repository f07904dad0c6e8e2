(macro_invocation macro: (identifier) @raise.type
  (#match? @raise.type "^(panic|bail|unreachable|unimplemented|todo)$")) @raise
(call_expression function: (identifier) @_err (#eq? @_err "Err")
  arguments: (arguments . [(call_expression function: (_) @raise.type) (scoped_identifier) @raise.type (identifier) @raise.type])) @raise
(if_expression
  condition: (_) @guard.condition
  consequence: (block . (expression_statement [(return_expression) (break_expression) (continue_expression)] @guard.exit) .)) @guard
(if_expression
  condition: (_) @guard.condition
  consequence: (block . [(return_expression) (break_expression) (continue_expression)] @guard.exit .)) @guard
(return_expression) @return
