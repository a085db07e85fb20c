-- Argo CD resource actions of a ConsistentBackup (argocd-cm: resource.customizations.actions.consistentbackup.io_ConsistentBackup).
local actions = {}
actions["run-now"] = { disabled = obj.metadata.deletionTimestamp ~= nil }
return actions
