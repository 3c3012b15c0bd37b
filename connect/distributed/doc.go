// Package distributed runs connectd workers as a Kafka Connect cluster (`connectd distributed
// worker.properties`): membership of the Kafka group named by group.id through Kafka's own group
// coordinator, speaking Kafka Connect's "connect" protocol (V0 eager, V1 compatible and V2
// sessioned, the last two incremental and cooperative as KIP-415, V2 with internal requests
// signed by the session key of KIP-507); the leader's assignment of connectors and tasks to the
// live workers (AssignEager, CooperativeAssignor); the config and status topics
// in Kafka Connect's record format; and the Herder that implements the REST API over them
// (runtime.HerderCore, shared with the standalone herder, over this package's clusterBackend).
//
// # Topics
//
// ConfigStore reads and writes config.storage.topic (exactly one partition, so every worker sees
// changes in the same order): connector-<c> → {"properties":{...}}, task-<c>-<n> →
// {"properties":{...}}, commit-<c> → {"tasks":N} (task records take effect together at their
// commit), target-state-<c> → {"state":"PAUSED","state.v2":"STOPPED"}, restart-connector-<c> →
// {"include-tasks":B,"only-failed":B}; tombstones delete. StatusStore reads and writes
// status.storage.topic: status-connector-<c> and status-task-<c>-<n> →
// {"state","trace","worker_id","generation"}, status-topic-<topic>:connector-<c> →
// {"topic":{"name","connector","task","discoverTimestamp"}}. Offsets go through offsets.KafkaStore.
// Both stores follow their topic with offsets/topiclog (read to end by Fetch requests). Kafka
// Connect 4.x reads these topics as connectd writes them and the reverse (tests/distributed).
//
// # Goroutines
//
//   - Member.Run: JoinGroup/SyncGroup, then waits for a reason to rejoin (a rebalance reported by a
//     heartbeat, a RequestRejoin, shutdown). Its callbacks (Assigned, Revoked) run on the herder
//     loop and it waits for them; Assign (leader only) runs on it directly and reads the config
//     topic to its end first.
//   - Member.heartbeat: one per generation, from the join until the member rejoins; it goes on
//     while Assigned and Revoked run (starting and stopping tasks takes seconds), as Kafka's
//     heartbeat thread does, so a slow revocation does not cost the worker its session.
//   - Herder.loop: the only goroutine that starts or stops instances and writes configurations.
//     It runs assignments, revocations (eager: everything stops before the rejoin, tasks commit
//     their offsets; cooperative: only what the assignment revokes stops, then the worker rejoins
//     so the leader can hand it on), config-topic events (a new configuration restarts the connector on the
//     worker running it; a target state reaches the instances; new task configurations and new or
//     deleted connectors make the leader rebalance), connector reconfigurations (the worker
//     running a connector asks it for task configurations and sends them to the leader, POST
//     /connectors/{c}/tasks, unless it is the leader) and REST changes (Herder.do).
//   - Herder.readConfigs: reads the config topic every 250 ms, so changes written by other workers
//     arrive as events.
//   - REST handlers: reads answer from snapshots after reading the topics to their end (a read
//     after a write on any worker sees it); changes go through the loop. Only the leader writes
//     configurations; a follower returns herder.NotLeaderError and the REST layer forwards the
//     request with forward=true. Target states (pause, resume) are written by any worker, as in
//     Kafka Connect.
//
// Locks: Herder.mu guards the assignment view and is never held while calling out; ConfigStore.mu
// and StatusStore.mu guard the topic views and are taken inside their topic log's read lock
// (topiclog.Log.mu → store mu), never the other way round.
//
// # Failure
//
// A worker that stops gracefully revokes (tasks commit), leaves the group, and the others rebalance
// at once. One that dies is removed by the coordinator after session.timeout.ms; the survivors,
// still heartbeating, learn of the rebalance within heartbeat.interval.ms and take its work, each
// task reading the offsets topic to its end before it starts. Statuses: the worker running an
// instance writes them; UNASSIGNED is written only over a status of this worker or of an older
// generation, so a late revocation cannot hide the new owner (Kafka Connect's putSafe).
package distributed
