-- Argo CD health of a ConsistentBackup (argocd-cm: resource.customizations.health.consistentbackup.io_ConsistentBackup).
-- Healthy: in effect and its recovery point objective met (a one-shot: its backup graded consistent).
-- Degraded: invalid, rpo breached or unachievable, storage or hooks failing, backups inconsistent.
-- Progressing: only before the operator has seen this generation, and while a one-shot backup runs or its
-- grade waits for Velero's records, so a PreSync hook or a sync wave waits exactly for that backup.
-- Runs without Lua's string library (Argo CD does not load it for argocd-cm scripts).
local hs = {}
local status = obj.status
local generation = obj.metadata.generation or 0

local function condition(type)
  if status.conditions == nil then return nil end
  for _, c in ipairs(status.conditions) do
    if c.type == type then return c end
  end
  return nil
end

local function explain(c)
  return c.reason .. ": " .. c.message
end

-- The first of these conditions that is False, if any.
local function firstFalse(types)
  for _, type in ipairs(types) do
    local c = condition(type)
    if c ~= nil and c.status == "False" then return c end
  end
  return nil
end

if status == nil or (status.observedGeneration or 0) < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end

local ready = condition("Ready")
if status.phase == "Invalid" then
  hs.status = "Degraded"
  hs.message = ready and explain(ready) or "Invalid spec"
  return hs
end
if obj.spec.suspend then
  hs.status = "Suspended"
  hs.message = ready and ready.message or "spec.suspend is true"
  return hs
end

-- Trouble that no waiting cures, in the order a human should fix it.
local trouble = firstFalse({ "StorageAvailable", "HooksReady", "RPOAchievable" })
if trouble ~= nil then
  hs.status = "Degraded"
  hs.message = explain(trouble)
  return hs
end

local last = status.lastBackup
if obj.spec.schedule == nil then
  local grade = last and last.consistency
  if grade == "AppConsistent" or grade == "CrashConsistent" then
    hs.status = "Healthy"
    hs.message = "Backup " .. last.name .. " is " .. grade
    return hs
  end
  if grade == "Unverified" and last.evidence ~= nil and last.evidence.unavailable ~= nil then
    hs.status = "Progressing"
    hs.message = "Verifying backup " .. last.name .. ": " .. (last.message or last.evidence.unavailable)
    return hs
  end
  if grade ~= nil or status.phase == "Failed" then
    hs.status = "Degraded"
    hs.message = ready and explain(ready) or ("Backup is " .. (grade or status.phase))
    return hs
  end
  if ready ~= nil and ready.status == "False" and ready.reason ~= "WaitingForVelero"
      and ready.reason ~= "BackupQueued" and ready.reason ~= "BackupInProgress" then
    hs.status = "Degraded"
    hs.message = explain(ready)
    return hs
  end
  hs.status = "Progressing"
  hs.message = ready and ready.message or ("Backup is " .. (status.phase or "pending"))
  return hs
end

if ready == nil or ready.status ~= "True" then
  hs.status = "Degraded"
  hs.message = ready and explain(ready) or "No Ready condition yet"
  return hs
end
trouble = firstFalse({ "RPOMet", "LastBackupConsistent" })
if trouble ~= nil then
  hs.status = "Degraded"
  hs.message = explain(trouble)
  return hs
end
local rpo = condition("RPOMet")
hs.status = "Healthy"
hs.message = rpo and rpo.message or ready.message
return hs
