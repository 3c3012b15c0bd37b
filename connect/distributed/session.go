package distributed

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kafka Connect's internal request signature headers (KIP-507).
const (
	signatureHeader          = "X-Connect-Authorization"
	signatureAlgorithmHeader = "X-Connect-Request-Signature-Algorithm"
	hmacSHA256               = "HmacSHA256"
)

// sessioned says whether the group runs connect.protocol=sessioned (V2): internal requests are
// then signed with the session key and the leader refuses unsigned ones.
func (h *Herder) sessioned() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.assigned && h.assignment.Version >= 2
}

// keyTTL is inter.worker.key.ttl.ms (Kafka's default: one hour).
func (h *Herder) keyTTL() time.Duration {
	if v, err := strconv.ParseInt(strings.TrimSpace(h.cfg.Props["inter.worker.key.ttl.ms"]), 10, 64); err == nil && v > 0 {
		return time.Duration(v) * time.Millisecond
	}
	return time.Hour
}

// ensureSessionKey makes the leader of a sessioned group write a new session key when there is
// none or the last one is older than inter.worker.key.ttl.ms, and come back when it expires.
// Runs on the herder loop.
func (h *Herder) ensureSessionKey() {
	h.mu.Lock()
	leader := h.leader
	h.mu.Unlock()
	if !leader || !h.sessioned() {
		return
	}
	ttl := h.keyTTL()
	k, ok := h.configs.SessionKey()
	if !ok || time.Since(k.Created) >= ttl {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			h.log.Error("could not generate a session key", "error", err)
			return
		}
		k = SessionKey{Key: key, Algorithm: hmacSHA256, Created: time.Now()}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := h.configs.PutSessionKey(ctx, k)
		cancel()
		if err != nil {
			h.log.Warn("could not write a new session key; internal requests wait for it", "error", err)
			k.Created = time.Now().Add(-ttl + 5*time.Second) // try again in 5 s
		} else {
			h.log.Info("wrote a new session key for internal requests", "algorithm", hmacSHA256)
		}
	}
	if h.keyTimer != nil {
		h.keyTimer.Stop()
	}
	h.keyTimer = time.AfterFunc(time.Until(k.Created.Add(ttl)), func() { go h.call(h.ensureSessionKey) })
}

// signRequest signs an internal request's body with the session key, as Kafka Connect's
// InternalRequestSignature.addToRequest.
func (h *Herder) signRequest(req *http.Request, body []byte) {
	if !h.sessioned() {
		return
	}
	k, ok := h.configs.SessionKey()
	if !ok {
		return
	}
	mac := hmac.New(sha256.New, k.Key)
	mac.Write(body)
	req.Header.Set(signatureHeader, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	req.Header.Set(signatureAlgorithmHeader, hmacSHA256)
}

// checkSignature is the leader's check of an internal request under the sessioned protocol, with
// Kafka Connect's answers: 400 without a signature or with an algorithm it does not verify, 403
// with a wrong one. It returns 0 when the request may go on.
func (h *Herder) checkSignature(r *http.Request, body []byte) (int, string) {
	if !h.sessioned() {
		return 0, ""
	}
	sig := r.Header.Get(signatureHeader)
	if sig == "" {
		return http.StatusBadRequest, "Internal request missing required signature"
	}
	if alg := r.Header.Get(signatureAlgorithmHeader); alg != hmacSHA256 {
		return http.StatusBadRequest, "This worker does not support the '" + alg + "' signature algorithm used by other workers. This worker supports the [HmacSHA256] signature algorithm(s) and the HmacSHA256 key algorithm."
	}
	k, ok := h.configs.SessionKey()
	if !ok {
		return http.StatusServiceUnavailable, "This worker has no session key yet; retry in a moment"
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	mac := hmac.New(sha256.New, k.Key)
	mac.Write(body)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return http.StatusForbidden, "Internal request contained invalid signature."
	}
	return 0, ""
}
