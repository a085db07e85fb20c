{{/* The labels every object carries: the name, plus commonLabels. */}}
{{- define "cbo.labels" -}}
app.kubernetes.io/name: consistent-backup-operator
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The Velero namespaces the operator may write in: its own and the allowed ones. */}}
{{- define "cbo.veleroNamespaces" -}}
{{- toJson (uniq (prepend .Values.allowedVeleroNamespaces .Values.veleroNamespace)) -}}
{{- end }}
