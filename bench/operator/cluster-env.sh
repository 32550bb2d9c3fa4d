# The benchmark's own local cluster (sourced by bench/operator/run.sh): ports, names, network index and image
# tags and its own state directory (.local/bench-cluster) apart from the default cluster's, so a benchmark leaves
# the default cluster running; and a Service range that holds 1,000 workspaces' Services (network.sh).
export CLUSTER_DIR=${CLUSTER_DIR:-$ROOT/.local/bench-cluster}
export CLUSTER_APISERVER_PORT=${CLUSTER_APISERVER_PORT:-18443} CLUSTER_ETCD_PORT=${CLUSTER_ETCD_PORT:-14379}
export CLUSTER_ETCD_PEER_PORT=${CLUSTER_ETCD_PEER_PORT:-14380} CLUSTER_NODE_NAME=${CLUSTER_NODE_NAME:-bench-node}
export CLUSTER_KUBELET_PORT=${CLUSTER_KUBELET_PORT:-10253} CLUSTER_NET_INDEX=${CLUSTER_NET_INDEX:-3}
export CLUSTER_SERVICE_CIDR=${CLUSTER_SERVICE_CIDR:-10.112.0.0/20}
export SERVER_IMAGE=${SERVER_IMAGE:-localhost/agentworkspace/agent-server:bench}
export OPERATOR_IMAGE=${OPERATOR_IMAGE:-localhost/agentworkspace/operator:bench}
