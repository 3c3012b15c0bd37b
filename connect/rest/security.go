package rest

import (
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/connectd/connectd/connect/kafkasec"
	"github.com/connectd/connectd/connect/workerconfig"
)

// BasicAuthExtension is Kafka Connect's REST extension for HTTP basic authentication, the one
// value of rest.extension.classes connectd honours.
const BasicAuthExtension = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"

// PropertyFileLoginModule is the JAAS login module BasicAuthSecurityRestExtension checks
// credentials with: a properties file of user=password lines.
const PropertyFileLoginModule = "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule"

// JAASConfigKey names the JAAS configuration file. Kafka Connect takes it from the JVM system
// property of this name (KAFKA_OPTS=-Djava.security.auth.login.config=...); connectd reads it
// from the worker property of the same name, else from KAFKA_OPTS.
const JAASConfigKey = "java.security.auth.login.config"

// unauthorized is Kafka Connect's 401 body (plain text, not the JSON error body).
const unauthorized = "User cannot access the resource."

// Security holds the REST API's TLS, authentication and cross-origin settings, read from the
// worker properties with Kafka Connect's names.
type Security struct {
	// ServerTLS is the https:// listeners' TLS configuration; nil when no listener is https.
	ServerTLS *tls.Config
	clientTLS *tls.Config
	logins    []login // nil: no authentication
	origins   []*regexp.Regexp
	methods   []string
}

// login is one PropertyFileLoginModule of the KafkaConnect JAAS section.
type login struct {
	flag  string
	users map[string]string // empty: every request passes, as in Kafka
}

// NewSecurity reads the REST security settings: listeners.https.ssl.* (else ssl.*) when https is
// true, rest.extension.classes with the JAAS KafkaConnect section for basic authentication, and
// access.control.allow.origin / access.control.allow.methods for browsers.
func NewSecurity(props map[string]string, https bool) (*Security, error) {
	s := &Security{}
	if https || strings.EqualFold(strings.TrimSpace(props["rest.advertised.listener"]), "https") {
		var err error
		if https {
			if s.ServerTLS, err = kafkasec.HTTPSServer(props, kafkasec.HTTPSPrefix); err != nil {
				return nil, err
			}
		}
		if s.clientTLS, err = kafkasec.HTTPSClient(props, kafkasec.HTTPSPrefix); err != nil {
			return nil, err
		}
	}
	for _, c := range strings.Split(props["rest.extension.classes"], ",") {
		switch c = strings.TrimSpace(c); c {
		case "":
		case BasicAuthExtension:
			logins, err := loadLogins(props)
			if err != nil {
				return nil, err
			}
			s.logins = logins
		default:
			return nil, fmt.Errorf("rest.extension.classes: %s is not supported by connectd: the only REST extension it has is %s", c, BasicAuthExtension)
		}
	}
	if v := strings.TrimSpace(props["access.control.allow.origin"]); v != "" {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o == "" {
				continue
			}
			// Jetty's CrossOriginFilter patterns: * matches anything, the rest literally.
			re, err := regexp.Compile("^" + strings.ReplaceAll(regexp.QuoteMeta(o), `\*`, ".*") + "$")
			if err != nil {
				return nil, fmt.Errorf("access.control.allow.origin=%s: %w", v, err)
			}
			s.origins = append(s.origins, re)
		}
		s.methods = []string{"GET", "POST", "HEAD"} // Jetty's default
		if m := strings.TrimSpace(props["access.control.allow.methods"]); m != "" {
			s.methods = nil
			for _, x := range strings.Split(m, ",") {
				if x = strings.ToUpper(strings.TrimSpace(x)); x != "" {
					s.methods = append(s.methods, x)
				}
			}
		}
	}
	return s, nil
}

// Authenticates says whether requests need credentials.
func (s *Security) Authenticates() bool { return s.logins != nil }

// Listen opens a REST listener: TLS for https, plain TCP for http.
func (s *Security) Listen(scheme, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(scheme, "https") {
		if s.ServerTLS == nil {
			_ = ln.Close()
			return nil, fmt.Errorf("listener https://%s has no TLS settings", addr)
		}
		return tls.NewListener(ln, s.ServerTLS), nil
	}
	return ln, nil
}

// Client is the HTTP client a worker calls other workers with (forwarding to the leader,
// internal requests), trusting what listeners.https.ssl.* (else ssl.*) trust.
func (s *Security) Client(timeout time.Duration) *http.Client {
	c := &http.Client{Timeout: timeout}
	if s != nil && s.clientTLS != nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = s.clientTLS
		c.Transport = t
	}
	return c
}

// Handler wraps the API with cross-origin handling and basic authentication, in Kafka Connect's
// order: Jetty's CrossOriginFilter answers preflight requests before the authentication filter
// sees them.
func (s *Security) Handler(next http.Handler) http.Handler {
	if s == nil {
		return next
	}
	h := next
	if s.logins != nil {
		h = s.authenticate(next)
	}
	if s.origins != nil {
		h = s.cors(h)
	}
	return h
}

var internalTaskRequest = regexp.MustCompile(`^/?connectors/[^/]+/tasks/?$`)

func (s *Security) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Kafka Connect's JaasBasicAuthFilter lets the workers' internal task configuration
		// requests through: workers have no user credentials of their own.
		if r.Method == http.MethodPost && internalTaskRequest.MatchString(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		if !s.check(user, pass, ok) {
			// Kafka sends no WWW-Authenticate header; connectd does, so browsers ask for
			// credentials.
			w.Header().Set("WWW-Authenticate", `Basic realm="connectd"`)
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(unauthorized))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// check applies the JAAS control flags over the login modules, as a LoginContext does.
func (s *Security) check(user, pass string, given bool) bool {
	anyOK, sufficient := false, false
	for _, l := range s.logins {
		ok := l.accepts(user, pass, given)
		anyOK = anyOK || ok
		switch l.flag {
		case "required":
			if !ok {
				return false
			}
		case "requisite":
			if !ok {
				return false
			}
		case "sufficient":
			if ok {
				sufficient = true
			}
		}
		if sufficient {
			return true
		}
	}
	return anyOK
}

func (l login) accepts(user, pass string, given bool) bool {
	if len(l.users) == 0 {
		return true
	}
	if !given || user == "" {
		return false
	}
	want, ok := l.users[user]
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1
}

func (s *Security) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := false
		if origin != "" {
			for _, re := range s.origins {
				if re.MatchString(origin) {
					allowed = true
					break
				}
			}
		}
		if !allowed {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Add("Vary", "Origin")
		if want := r.Header.Get("Access-Control-Request-Method"); r.Method == http.MethodOptions && want != "" {
			ok := false
			for _, m := range s.methods {
				ok = ok || m == strings.ToUpper(want)
			}
			if ok {
				w.Header().Set("Access-Control-Allow-Methods", strings.Join(s.methods, ","))
				w.Header().Set("Access-Control-Allow-Headers", "X-Requested-With,Content-Type,Accept,Origin")
				w.Header().Set("Access-Control-Max-Age", "1800")
			}
			w.WriteHeader(http.StatusOK)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// jaasFile finds the JAAS configuration file: the worker property, else the JVM option in
// KAFKA_OPTS that Kafka Connect's start scripts pass.
func jaasFile(props map[string]string) string {
	if v := strings.TrimSpace(props[JAASConfigKey]); v != "" {
		return v
	}
	for _, f := range strings.Fields(os.Getenv("KAFKA_OPTS")) {
		if v, ok := strings.CutPrefix(f, "-D"+JAASConfigKey+"="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}

func loadLogins(props map[string]string) ([]login, error) {
	path := jaasFile(props)
	if path == "" {
		return nil, fmt.Errorf("rest.extension.classes=%s needs a JAAS file with a KafkaConnect section: set %s=/path/to/jaas.conf in the worker properties (or -D%s=... in KAFKA_OPTS)", BasicAuthExtension, JAASConfigKey, JAASConfigKey)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("could not read the JAAS file %s (%s): %w", path, JAASConfigKey, err)
	}
	sections, err := kafkasec.ParseJAASFile(string(data))
	if err != nil {
		return nil, fmt.Errorf("could not parse the JAAS file %s: %w", path, err)
	}
	mods, ok := sections["KafkaConnect"]
	if !ok {
		return nil, fmt.Errorf("the JAAS file %s has no KafkaConnect section: add KafkaConnect { %s required file=\"/path/to/credentials.properties\"; };", path, PropertyFileLoginModule)
	}
	var out []login
	for _, m := range mods {
		if m.Class != PropertyFileLoginModule {
			return nil, fmt.Errorf("the JAAS file %s: login module %s is not supported by connectd: use %s", path, m.Class, PropertyFileLoginModule)
		}
		file := strings.TrimSpace(m.Options["file"])
		if file == "" {
			return nil, fmt.Errorf("the JAAS file %s: %s needs file=\"/path/to/credentials.properties\"", path, PropertyFileLoginModule)
		}
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("could not read the credentials file %s named in %s: %w", file, path, err)
		}
		users, err := workerconfig.ParseProperties(f)
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("could not parse the credentials file %s: %w", file, err)
		}
		out = append(out, login{flag: m.Flag, users: users})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the JAAS file %s: its KafkaConnect section has no login module", path)
	}
	return out, nil
}

// BasicAuthHeader is the Authorization header value for user and password.
func BasicAuthHeader(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}
