/// Renders a parsed template: one instance per render, holding the variable scopes.
final class JinjaInterpreter {
    private var scopes: [[String: JinjaValue]]
    private var output = ""
    /// Macro calls under way. A nested call takes 6-7 KB of stack (release build: a recursing
    /// macro on threads of fixed stack size fit 35 levels in 256 KB and 80 in 512 KB), so
    /// runaway recursion, such as a schema macro fed a type it never bottoms out on, stops at
    /// `maxMacroDepth` with an error instead of overflowing the stack and killing the server.
    /// Real templates nest as deep as a tool's JSON schema does.
    private var macroDepth = 0
    static let maxMacroDepth = 40

    /// Loop control raised by `{% break %}` / `{% continue %}`.
    private enum LoopSignal: Error {
        case breakLoop
        case continueLoop
    }

    init(globals: [String: JinjaValue]) {
        scopes = [JinjaBuiltins.globals.merging(globals) { $1 }]
    }

    func render(_ nodes: [JinjaNode]) throws(JinjaError) -> String {
        output = ""
        do {
            try run(nodes)
        } catch let error as JinjaError {
            throw error
        } catch {
            throw .syntax("{% break %} or {% continue %} outside a loop", line: 0)
        }
        return output
    }

    // MARK: Scopes

    func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return .undefined(name)
    }

    private func assign(_ name: String, _ value: JinjaValue) {
        scopes[scopes.count - 1][name] = value
    }

    /// Runs `body` in a new innermost scope, as loops and macro calls do.
    private func withScope<T>(_ values: [String: JinjaValue], _ body: () throws -> T) rethrows -> T {
        scopes.append(values)
        defer { scopes.removeLast() }
        return try body()
    }

    // MARK: Statements

    private func run(_ nodes: [JinjaNode]) throws {
        for node in nodes { try run(node) }
    }

    private func run(_ node: JinjaNode) throws {
        switch node {
        case .text(let text):
            output += text
        case .output(let expression):
            output += try evaluate(expression).rendered
        case .conditional(let branches, let otherwise):
            for (condition, body) in branches where try evaluate(condition).isTruthy {
                try run(body)
                return
            }
            try run(otherwise)
        case .forLoop(let targets, let iterable, let condition, let body, let otherwise):
            try runLoop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise)
        case .assign(let targets, let attribute, let expression):
            let value = try evaluate(expression)
            if let attribute {
                guard case .namespace(let namespace) = lookup(targets[0]) else {
                    throw JinjaError.type("cannot set '\(attribute)' on \(lookup(targets[0]).typeName) '\(targets[0])' (only a namespace() can be changed)")
                }
                namespace.attributes[attribute] = value
            } else if targets.count == 1 {
                assign(targets[0], value)
            } else {
                let items = try value.iterated()
                guard items.count == targets.count else {
                    throw JinjaError.type("cannot unpack \(items.count) values into \(targets.count) names")
                }
                for (name, item) in zip(targets, items) { assign(name, item) }
            }
        case .assignBlock(let name, let body):
            assign(name, .string(try capture(body)))
        case .macro(let name, let parameters, let body):
            assign(name, .callable(makeMacro(name: name, parameters: parameters, body: body)))
        case .filterBlock(let name, let arguments, let body):
            let text = try capture(body)
            output += try JinjaFilters.filter(name, .string(text), try arguments.map(evaluate), []).rendered
        case .breakLoop:
            throw LoopSignal.breakLoop
        case .continueLoop:
            throw LoopSignal.continueLoop
        }
    }

    private func runLoop(
        targets: [String], iterable: JinjaExpression, condition: JinjaExpression?, body: [JinjaNode], otherwise: [JinjaNode]
    ) throws {
        let source = try evaluate(iterable)
        var items: [JinjaValue]
        if case .dict(let d) = source, targets.count == 2 {
            items = d.keys.map { .list([.string($0), d.values[$0]!]) }
        } else {
            items = try source.iterated()
        }
        if let condition {
            items = try items.filter { item in
                try withScope(bind(targets, item)) { try evaluate(condition).isTruthy }
            }
        }
        guard !items.isEmpty else { return try run(otherwise) }
        for (i, item) in items.enumerated() {
            var loop = JinjaDict()
            loop["index"] = .int(i + 1)
            loop["index0"] = .int(i)
            loop["revindex"] = .int(items.count - i)
            loop["revindex0"] = .int(items.count - i - 1)
            loop["first"] = .bool(i == 0)
            loop["last"] = .bool(i == items.count - 1)
            loop["length"] = .int(items.count)
            loop["previtem"] = i > 0 ? items[i - 1] : .undefined("loop.previtem")
            loop["nextitem"] = i + 1 < items.count ? items[i + 1] : .undefined("loop.nextitem")
            loop["depth"] = .int(1)
            loop["depth0"] = .int(0)
            loop["cycle"] = .callable(JinjaCallable(name: "loop.cycle") { arguments, _, _ throws(JinjaError) in
                guard !arguments.isEmpty else { throw .type("loop.cycle() needs at least one value") }
                return arguments[i % arguments.count]
            })
            var values = try bind(targets, item)
            values["loop"] = .dict(loop)
            do {
                try withScope(values) { try run(body) }
            } catch LoopSignal.breakLoop {
                break
            } catch LoopSignal.continueLoop {
                continue
            }
        }
    }

    private func bind(_ targets: [String], _ item: JinjaValue) throws(JinjaError) -> [String: JinjaValue] {
        guard targets.count > 1 else { return [targets[0]: item] }
        let parts = try item.iterated()
        guard parts.count == targets.count else {
            throw .type("cannot unpack \(parts.count) values into \(targets.count) loop variables")
        }
        return Dictionary(uniqueKeysWithValues: zip(targets, parts))
    }

    /// Renders `nodes` into a string instead of the output.
    private func capture(_ nodes: [JinjaNode]) throws -> String {
        let saved = output
        output = ""
        defer { output = saved }
        try run(nodes)
        return output
    }

    private func makeMacro(name: String, parameters: [(String, JinjaExpression?)], body: [JinjaNode]) -> JinjaCallable {
        JinjaCallable(name: name) { arguments, keywords, interpreter throws(JinjaError) in
            var values: [String: JinjaValue] = [:]
            for (i, (parameter, fallback)) in parameters.enumerated() {
                if i < arguments.count {
                    values[parameter] = arguments[i]
                } else if let given = keywords.first(where: { $0.0 == parameter }) {
                    values[parameter] = given.1
                } else {
                    values[parameter] = try fallback.map(interpreter.evaluate) ?? .undefined(parameter)
                }
            }
            guard interpreter.macroDepth < Self.maxMacroDepth else {
                throw .type("macro \(name) calls itself more than \(Self.maxMacroDepth) levels deep")
            }
            interpreter.macroDepth += 1
            defer { interpreter.macroDepth -= 1 }
            do {
                return .string(try interpreter.withScope(values) { try interpreter.capture(body) })
            } catch let error as JinjaError {
                throw error
            } catch {
                throw .syntax("{% break %} or {% continue %} outside a loop in macro \(name)", line: 0)
            }
        }
    }

    // MARK: Expressions

    func evaluate(_ expression: JinjaExpression) throws(JinjaError) -> JinjaValue {
        switch expression {
        case .literal(let value):
            return value
        case .name(let name):
            return lookup(name)
        case .list(let items):
            return .list(try items.map(evaluate))
        case .dict(let pairs):
            var dict = JinjaDict()
            for (key, value) in pairs {
                let k = try evaluate(key)
                guard case .string(let name) = k else { throw .type("dict keys must be strings, got \(k.typeName)") }
                dict[name] = try evaluate(value)
            }
            return .dict(dict)
        case .attribute(let base, let name):
            return try JinjaBuiltins.attribute(try evaluate(base), name)
        case .index(let base, let key):
            return try JinjaBuiltins.index(try evaluate(base), try evaluate(key))
        case .slice(let base, let start, let stop, let step):
            return try JinjaBuiltins.slice(
                try evaluate(base), start: try start.map(evaluate), stop: try stop.map(evaluate), step: try step.map(evaluate))
        case .call(let callee, let arguments, let keywords):
            let function = try evaluate(callee)
            guard case .callable(let callable) = function else {
                throw .type("\(Self.name(of: callee)) is \(function.typeName), not a function")
            }
            return try callable.call(try arguments.map(evaluate), try keywords.map { pair throws(JinjaError) in (pair.0, try evaluate(pair.1)) }, self)
        case .filter(let base, let name, let arguments, let keywords):
            return try JinjaFilters.filter(
                name, try evaluate(base), try arguments.map(evaluate), try keywords.map { pair throws(JinjaError) in (pair.0, try evaluate(pair.1)) })
        case .test(let base, let name, let arguments, let negated):
            let result = try JinjaFilters.test(name, try evaluate(base), try arguments.map(evaluate))
            return .bool(result != negated)
        case .not(let inner):
            return .bool(!(try evaluate(inner).isTruthy))
        case .negate(let inner):
            switch try evaluate(inner) {
            case .int(let i) where i != .min: return .int(-i)
            case .bool(let b): return .int(b ? -1 : 0)
            case .double(let d): return .double(-d)
            case let other: throw .type("cannot negate \(other.typeName)")
            }
        case .and(let a, let b):
            let left = try evaluate(a)
            return left.isTruthy ? try evaluate(b) : left
        case .or(let a, let b):
            let left = try evaluate(a)
            return left.isTruthy ? left : try evaluate(b)
        case .binary(let op, let a, let b):
            return try JinjaBuiltins.binary(op, try evaluate(a), try evaluate(b))
        case .ternary(let then, let condition, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            return try otherwise.map(evaluate) ?? .undefined("ternary")
        }
    }

    private static func name(of expression: JinjaExpression) -> String {
        switch expression {
        case .name(let n): "'\(n)'"
        case .attribute(_, let n): "'\(n)'"
        default: "the expression"
        }
    }
}
