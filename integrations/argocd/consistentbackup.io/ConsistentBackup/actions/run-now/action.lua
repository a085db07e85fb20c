-- Requests one extra backup now: a new consistentbackup.io/run-now token (each distinct token runs once).
-- The token is the current UTC time to the second, which is what the annotation's syntax allows
-- (1-63 letters, digits, '-', '_' or '.').
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["consistentbackup.io/run-now"] = os.date("!%Y%m%dT%H%M%SZ")
return obj
