"""Where reports leave the process: files now, notifications later."""
