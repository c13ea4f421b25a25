/// Where one EPP session is (RFC 5730 §2: greeting, login, commands, logout), with no I/O.
///
/// The session actor asks the machine what to do with each decoded request and reports how login went; the
/// machine alone decides which commands are allowed when and when the connection must close.
public struct EPPSessionStateMachine: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case awaitingLogin(failures: Int)
        case loggedIn(aspID: String)
        case closed
    }

    /// What to do with a request.
    public enum RequestAction: Sendable, Hashable {
        /// Answer with the greeting (`<hello>`, allowed in every open state).
        case greet
        /// Try this login.
        case login
        /// Run an object or poll command for this ASP.
        case run(aspID: String)
        /// Answer 1500 and close.
        case logout
        /// Refuse with this result code, the session stays open.
        case refuse(EPPResultCode, reason: String)
        /// Nothing more is read on a closed session.
        case ignore
    }

    /// What to do after a failed login.
    public enum LoginFailureAction: Sendable, Hashable {
        case answer
        /// Too many failures: answer 2501 and close (RFC 5730 §3).
        case answerAndClose
    }

    public private(set) var state: State = .awaitingLogin(failures: 0)
    public let maxLoginFailures: Int

    public init(maxLoginFailures: Int = 3) {
        self.maxLoginFailures = maxLoginFailures
    }

    public mutating func requestReceived(_ request: EPPRequest) -> RequestAction {
        switch (state, request) {
        case (.closed, _): return .ignore
        case (_, .hello): return .greet
        case (.awaitingLogin, .command(.login, _)): return .login
        case (.awaitingLogin, .command(.logout, _)):
            state = .closed
            return .logout
        case (.awaitingLogin, .command):
            return .refuse(.commandUseError, reason: "log in first")
        case (.loggedIn, .command(.login, _)):
            return .refuse(.commandUseError, reason: "this session is already logged in; log out first")
        case (.loggedIn, .command(.logout, _)):
            state = .closed
            return .logout
        case (.loggedIn(let aspID), .command):
            return .run(aspID: aspID)
        }
    }

    public mutating func loginSucceeded(aspID: String) {
        if case .awaitingLogin = state { state = .loggedIn(aspID: aspID) }
    }

    public mutating func loginFailed() -> LoginFailureAction {
        guard case .awaitingLogin(let failures) = state else { return .answer }
        if failures + 1 >= maxLoginFailures {
            state = .closed
            return .answerAndClose
        }
        state = .awaitingLogin(failures: failures + 1)
        return .answer
    }

    /// Hostile or oversized input: the session ends after the answer.
    public mutating func abort() {
        state = .closed
    }
}
