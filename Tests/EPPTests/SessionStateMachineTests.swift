import EPP
import Testing

/// One test per allowed and per refused transition of the session machine.
@Suite struct SessionStateMachineTests {
    let login = EPPRequest.command(.login(.init(clientID: "asp-1", password: "secret")), clTRID: nil)
    let check = EPPRequest.command(.check(eids: []), clTRID: nil)
    let logout = EPPRequest.command(.logout, clTRID: nil)

    @Test func helloIsAlwaysAnsweredWhileOpen() {
        var machine = EPPSessionStateMachine()
        #expect(machine.requestReceived(.hello) == .greet)
        machine.loginSucceeded(aspID: "asp-1")
        #expect(machine.requestReceived(.hello) == .greet)
    }

    @Test func commandsBeforeLoginAreUseErrors() {
        var machine = EPPSessionStateMachine()
        guard case .refuse(let code, _) = machine.requestReceived(check) else { Issue.record("not refused"); return }
        #expect(code == .commandUseError)
        #expect(machine.state == .awaitingLogin(failures: 0))
    }

    @Test func loginThenCommandsRunAsThatASP() {
        var machine = EPPSessionStateMachine()
        #expect(machine.requestReceived(login) == .login)
        machine.loginSucceeded(aspID: "asp-1")
        #expect(machine.requestReceived(check) == .run(aspID: "asp-1"))
        guard case .refuse(let code, _) = machine.requestReceived(login) else { Issue.record("not refused"); return }
        #expect(code == .commandUseError)
    }

    @Test func failuresCloseAfterTheLimit() {
        var machine = EPPSessionStateMachine(maxLoginFailures: 3)
        #expect(machine.loginFailed() == .answer)
        #expect(machine.loginFailed() == .answer)
        #expect(machine.loginFailed() == .answerAndClose)
        #expect(machine.state == .closed)
        #expect(machine.requestReceived(.hello) == .ignore)
    }

    @Test func logoutClosesFromEitherState() {
        var fresh = EPPSessionStateMachine()
        #expect(fresh.requestReceived(logout) == .logout)
        #expect(fresh.state == .closed)
        var machine = EPPSessionStateMachine()
        machine.loginSucceeded(aspID: "asp-1")
        #expect(machine.requestReceived(logout) == .logout)
        #expect(machine.requestReceived(check) == .ignore)
    }

    @Test func abortCloses() {
        var machine = EPPSessionStateMachine()
        machine.abort()
        #expect(machine.state == .closed)
    }
}
