{{/* The chart name, or nameOverride. */}}
{{- define "agentworkspace-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The resource name prefix: fullnameOverride, else "<release>-<name>" (just the release when it already
contains the name). 63 characters at most (DNS label).
*/}}
{{- define "agentworkspace-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "agentworkspace-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of the release. */}}
{{- define "agentworkspace-operator.labels" -}}
helm.sh/chart: {{ include "agentworkspace-operator.chart" . }}
{{ include "agentworkspace-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agentworkspace
{{- end }}

{{/* The pods' selector: stable across upgrades (a Deployment's selector is immutable). */}}
{{- define "agentworkspace-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agentworkspace-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "agentworkspace-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "agentworkspace-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "agentworkspace-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
operator/rbac.yaml, the single source of the operator's rights, as packaged in files/rbac.yaml (kept
byte-identical by operator/src/chart.test.ts; `make chart-files` copies it). Its rules are rendered
unchanged into the ClusterRole or the Roles.
*/}}
{{- define "agentworkspace-operator.rules" -}}
{{- $rbac := .Files.Get "files/rbac.yaml" | fromYaml }}
{{- if not $rbac.rules }}{{ fail "files/rbac.yaml holds no rules (copy operator/rbac.yaml: make chart-files)" }}{{ end }}
{{- $rules := $rbac.rules }}
{{- if .Values.warmPools.enabled }}
{{- $pools := .Files.Get "files/rbac-warm-pools.yaml" | fromYaml }}
{{- if not $pools.rules }}{{ fail "files/rbac-warm-pools.yaml holds no rules (make chart-files)" }}{{ end }}
{{- $rules = concat $rules $pools.rules }}
{{- end }}
{{- toYaml $rules }}
{{- end }}

{{/* The rules of operator/rbac.yaml the Lease needs: those of the coordination.k8s.io group. */}}
{{- define "agentworkspace-operator.leaseRules" -}}
{{- $rbac := .Files.Get "files/rbac.yaml" | fromYaml }}
{{- $rules := list }}
{{- range $rbac.rules }}{{ if has "coordination.k8s.io" .apiGroups }}{{ $rules = append $rules . }}{{ end }}{{ end }}
{{- if not $rules }}{{ fail "files/rbac.yaml has no coordination.k8s.io rule for the Lease" }}{{ end }}
{{- toYaml $rules }}
{{- end }}

{{/* Cross-value checks JSON Schema cannot express; each failure names the values. */}}
{{- define "agentworkspace-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) }}
{{- fail (printf "replicaCount=%d needs leaderElection.enabled=true (replicas without a Lease would reconcile the same workspaces at once)" (int .Values.replicaCount)) }}
{{- end }}
{{- if ge (int .Values.leaderElection.renewDeadlineMs) (int .Values.leaderElection.leaseDurationMs) }}
{{- fail (printf "leaderElection.renewDeadlineMs (%d) must be less than leaderElection.leaseDurationMs (%d)" (int .Values.leaderElection.renewDeadlineMs) (int .Values.leaderElection.leaseDurationMs)) }}
{{- end }}
{{- if and .Values.workspaceNetworkPolicy.enabled (not (or .Values.workspaceNetworkPolicy.namespaces .Values.watchNamespaces)) }}
{{- fail "workspaceNetworkPolicy.enabled needs workspaceNetworkPolicy.namespaces (or watchNamespaces): the namespaces to put the policy in" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled (the ServiceMonitor selects that Service)" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1")) }}
{{- fail "metrics.serviceMonitor.enabled needs the monitoring.coreos.com/v1 ServiceMonitor API (install the Prometheus Operator's CRDs first; helm template: --api-versions monitoring.coreos.com/v1)" }}
{{- end }}
{{- end }}
