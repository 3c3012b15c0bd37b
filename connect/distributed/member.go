package distributed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// MemberConfig configures group membership.
type MemberConfig struct {
	Group            string
	SessionTimeout   time.Duration
	RebalanceTimeout time.Duration
	Heartbeat        time.Duration
	// Protocols are the connect protocols this worker offers, most preferred first (Kafka
	// Connect's: sessioned, compatible, default); empty means eager only. The coordinator picks
	// one every member offers.
	Protocols []string
	// State returns this worker's current metadata; called on every join.
	State func() WorkerState
	// Assign is called on the leader with the protocol the coordinator chose, the generation
	// being formed and the last one this member completed, and every member's id and state
	// (sorted by member id); it returns each member's assignment.
	Assign func(leaderID, protocol string, gen, lastGen int32, members []MemberState) map[string]Assignment
	// Assigned is called after every successful rebalance with this worker's assignment.
	Assigned func(generation int32, memberID string, a Assignment)
	// Revoked is called before rejoining when the assignment was eager (version 0): the eager
	// protocol gives up everything first. Cooperative assignments revoke in Assigned instead.
	Revoked func()
	Logger  *slog.Logger
}

// MemberState is one member of the group as the leader sees it.
type MemberState struct {
	ID    string
	State WorkerState
}

// Member keeps a worker in the Connect group: join, sync, heartbeat, rejoin on rebalance.
type Member struct {
	client *kgo.Client
	cfg    MemberConfig

	mu       sync.Mutex
	memberID string
	gen      int32
	lastGen  int32 // the generation of the last assignment received, -1 before
	rejoin   chan struct{}
}

// NewMember returns a member using client (which must not itself be a group consumer).
func NewMember(client *kgo.Client, cfg MemberConfig) *Member {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTimeout == 0 {
		cfg.SessionTimeout = 10 * time.Second
	}
	if cfg.RebalanceTimeout == 0 {
		cfg.RebalanceTimeout = 60 * time.Second
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 3 * time.Second
	}
	if len(cfg.Protocols) == 0 {
		cfg.Protocols = []string{ProtocolEager}
	}
	return &Member{client: client, cfg: cfg, rejoin: make(chan struct{}, 1), lastGen: -1}
}

// RequestRejoin makes the member rejoin the group, which rebalances every member; the leader
// calls it when the set of connectors or tasks changed.
func (m *Member) RequestRejoin() {
	select {
	case m.rejoin <- struct{}{}:
	default:
	}
}

// ID returns the member id the coordinator gave this worker ("" before the first join).
func (m *Member) ID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.memberID
}

// Run keeps the membership until ctx is done, then leaves the group so the others rebalance at once
// instead of waiting for the session timeout. Heartbeats go on in the background while Assigned
// and Revoked run (starting and stopping tasks takes time; the coordinator must not think the
// worker died meanwhile), as Kafka's AbstractCoordinator heartbeat thread does.
func (m *Member) Run(ctx context.Context) error {
	defer m.leave()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		a, err := m.joinAndSync(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			m.cfg.Logger.Warn("could not join the connect group; retrying", "group", m.cfg.Group, "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		m.mu.Lock()
		gen, id := m.gen, m.memberID
		m.mu.Unlock()

		hbCtx, stopHeartbeats := context.WithCancel(context.Background())
		needRejoin := make(chan error, 1)
		hbDone := make(chan struct{})
		go func() {
			defer close(hbDone)
			m.heartbeat(hbCtx, gen, id, needRejoin)
		}()
		m.cfg.Assigned(gen, id, a)
		var reason error
		select {
		case <-ctx.Done():
			reason = ctx.Err()
		case reason = <-needRejoin:
		case <-m.rejoin:
			reason = errors.New("rejoin requested")
		}
		if m.cfg.Revoked != nil && a.Version == 0 {
			m.cfg.Revoked()
		}
		stopHeartbeats()
		<-hbDone
		if ctx.Err() == nil {
			m.cfg.Logger.Info("rejoining the connect group", "group", m.cfg.Group, "generation", gen, "reason", reason)
		}
	}
	return ctx.Err()
}

func (m *Member) joinAndSync(ctx context.Context) (Assignment, error) {
	for {
		m.mu.Lock()
		memberID := m.memberID
		m.mu.Unlock()
		join := kmsg.NewPtrJoinGroupRequest()
		join.Group = m.cfg.Group
		join.SessionTimeoutMillis = int32(m.cfg.SessionTimeout / time.Millisecond)
		join.RebalanceTimeoutMillis = int32(m.cfg.RebalanceTimeout / time.Millisecond)
		join.MemberID = memberID
		join.ProtocolType = ProtocolType
		state := m.cfg.State()
		for _, name := range m.cfg.Protocols {
			p := kmsg.NewJoinGroupRequestProtocol()
			p.Name = name
			p.Metadata = EncodeWorkerStateVersion(state, protocolVersion(name))
			join.Protocols = append(join.Protocols, p)
		}
		resp, err := join.RequestWith(ctx, m.client)
		if err != nil {
			return Assignment{}, fmt.Errorf("join group: %w", err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			switch {
			case errors.Is(err, kerr.MemberIDRequired):
				m.setMember(resp.MemberID, -1)
				continue
			case errors.Is(err, kerr.UnknownMemberID):
				m.setMember("", -1)
				continue
			case errors.Is(err, kerr.InconsistentGroupProtocol):
				return Assignment{}, fmt.Errorf("group %q is used by clients that are not Kafka Connect workers (protocol type differs): choose another group.id: %w", m.cfg.Group, err)
			}
			return Assignment{}, fmt.Errorf("join group: %w", err)
		}
		m.setMember(resp.MemberID, resp.Generation)

		sync := kmsg.NewPtrSyncGroupRequest()
		sync.Group = m.cfg.Group
		sync.Generation = resp.Generation
		sync.MemberID = resp.MemberID
		sync.ProtocolType = kmsg.StringPtr(ProtocolType)
		sync.Protocol = resp.Protocol
		if resp.LeaderID == resp.MemberID {
			members := make([]MemberState, 0, len(resp.Members))
			for _, mem := range resp.Members {
				st, err := DecodeWorkerState(mem.ProtocolMetadata)
				if err != nil {
					return Assignment{}, fmt.Errorf("member %s sent bad metadata: %w", mem.MemberID, err)
				}
				members = append(members, MemberState{ID: mem.MemberID, State: st})
			}
			sort.Slice(members, func(i, j int) bool { return members[i].ID < members[j].ID })
			protocol := ""
			if resp.Protocol != nil {
				protocol = *resp.Protocol
			}
			m.mu.Lock()
			lastGen := m.lastGen
			m.mu.Unlock()
			for id, a := range m.cfg.Assign(resp.MemberID, protocol, resp.Generation, lastGen, members) {
				ga := kmsg.NewSyncGroupRequestGroupAssignment()
				ga.MemberID = id
				ga.MemberAssignment = EncodeAssignmentVersion(a, protocolVersion(protocol))
				sync.GroupAssignment = append(sync.GroupAssignment, ga)
			}
		}
		sresp, err := sync.RequestWith(ctx, m.client)
		if err != nil {
			return Assignment{}, fmt.Errorf("sync group: %w", err)
		}
		if err := kerr.ErrorForCode(sresp.ErrorCode); err != nil {
			if errors.Is(err, kerr.RebalanceInProgress) {
				continue
			}
			if errors.Is(err, kerr.UnknownMemberID) || errors.Is(err, kerr.IllegalGeneration) {
				m.setMember("", -1)
				continue
			}
			return Assignment{}, fmt.Errorf("sync group: %w", err)
		}
		a, err := DecodeAssignment(sresp.MemberAssignment)
		if errors.Is(err, errEmptyAssignment) {
			continue // the leader computed before we joined; join again
		}
		if err == nil {
			m.mu.Lock()
			m.lastGen = resp.Generation
			m.mu.Unlock()
		}
		return a, err
	}
}

func (m *Member) setMember(id string, gen int32) {
	m.mu.Lock()
	m.memberID, m.gen = id, gen
	m.mu.Unlock()
}

// heartbeat sends heartbeats for generation gen until ctx ends. The first time the coordinator
// says the member must rejoin (a rebalance, a lost session) it tells needRejoin and goes on
// heartbeating while the member gives up its work: a rebalance in progress still counts a
// heartbeat as a sign of life. It stops early when the coordinator no longer knows the member.
func (m *Member) heartbeat(ctx context.Context, gen int32, id string, needRejoin chan<- error) {
	t := time.NewTicker(m.cfg.Heartbeat)
	defer t.Stop()
	signal := func(err error) {
		select {
		case needRejoin <- err:
		default:
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		hb := kmsg.NewPtrHeartbeatRequest()
		hb.Group, hb.Generation, hb.MemberID = m.cfg.Group, gen, id
		resp, err := hb.RequestWith(ctx, m.client)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// The coordinator moved or is unreachable for a moment: the client finds it again;
			// if the session expired meanwhile, the next answer says so.
			m.cfg.Logger.Warn("heartbeat to the group coordinator failed; retrying", "group", m.cfg.Group, "error", err)
			continue
		}
		err = kerr.ErrorForCode(resp.ErrorCode)
		switch {
		case err == nil:
		case errors.Is(err, kerr.RebalanceInProgress):
			signal(err)
		case errors.Is(err, kerr.UnknownMemberID), errors.Is(err, kerr.FencedInstanceID), errors.Is(err, kerr.IllegalGeneration):
			if !errors.Is(err, kerr.IllegalGeneration) {
				m.setMember("", -1)
			}
			signal(err)
			return
		case kerr.IsRetriable(err):
			m.cfg.Logger.Warn("heartbeat to the group coordinator failed; retrying", "group", m.cfg.Group, "error", err)
		default:
			signal(err)
			return
		}
	}
}

func (m *Member) leave() {
	m.mu.Lock()
	id := m.memberID
	m.mu.Unlock()
	if id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = m.cfg.Group
	req.MemberID = id
	mi := kmsg.NewLeaveGroupRequestMember()
	mi.MemberID = id
	req.Members = append(req.Members, mi)
	if _, err := req.RequestWith(ctx, m.client); err != nil {
		m.cfg.Logger.Warn("could not leave the connect group; others rebalance after the session timeout", "error", err)
	}
	m.setMember("", -1)
}
