{{/* Names and labels shared by every manifest. */}}
{{- define "iep.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "iep.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "iep.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "iep.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "iep.selectorLabels" -}}
app.kubernetes.io/name: {{ include "iep.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "iep.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "iep.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "iep.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "iep.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the credentials: the operator's own, or the one this chart creates. */}}
{{- define "iep.secretName" -}}
{{- default (include "iep.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The Secret holding the teams file: the operator's own, or the one this chart renders from `teams`. */}}
{{- define "iep.teamsSecretName" -}}
{{- default (printf "%s-teams" (include "iep.fullname" .)) .Values.teams.existingSecret -}}
{{- end -}}

{{/* Whether the pods get a teams file at all. */}}
{{- define "iep.hasTeams" -}}
{{- if or .Values.teams.existingSecret .Values.teams.adminKeyHashes .Values.teams.definitions -}}true{{- end -}}
{{- end -}}

{{/* Where the teams file is mounted; TEAMS_FILE points at it. */}}
{{- define "iep.teamsFile" -}}
/etc/image-edit-proxy/teams/teams.yaml
{{- end -}}

{{/*
The webhook encryption key of a chart-made Secret: the value given, else the one already in the release's Secret
(so that upgrades keep it: secrets encrypted under it must stay readable), else a new random one (install).
*/}}
{{- define "iep.webhookEncryptionKey" -}}
{{- if .Values.secrets.webhookEncryptionKey -}}
{{- .Values.secrets.webhookEncryptionKey -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "iep.fullname" .) -}}
{{- $kept := "" -}}
{{- if $existing -}}{{- $kept = index ($existing.data | default dict) .Values.secrets.keys.webhookEncryptionKey | default "" -}}{{- end -}}
{{- if $kept -}}{{- $kept | b64dec -}}{{- else -}}{{- randBytes 32 -}}{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of the management Service (health, metrics), which the ServiceMonitor selects. */}}
{{- define "iep.managementLabels" -}}
{{ include "iep.selectorLabels" . }}
app.kubernetes.io/component: management
{{- end -}}
