// Command argocd-lua runs a resource customization script (health.lua, discovery.lua, action.lua) the way
// Argo CD runs one from argocd-cm: gopher-lua without the standard libraries except package, base, table and
// a safe os (time, date, clock, difftime), a one-second budget, the object as the global `obj`, and the
// returned table encoded as JSON on stdout.
//
// Usage: argocd-lua SCRIPT.lua OBJECT.json
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: argocd-lua SCRIPT.lua OBJECT.json")
		os.Exit(2)
	}
	script, err := os.ReadFile(os.Args[1])
	check(err)
	raw, err := os.ReadFile(os.Args[2])
	check(err)
	var obj map[string]interface{}
	check(json.Unmarshal(raw, &obj))

	out, err := run(string(script), obj)
	check(err)
	encoded, err := json.Marshal(out)
	check(err)
	fmt.Println(string(encoded))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "argocd-lua:", err)
		os.Exit(1)
	}
}

func run(script string, obj map[string]interface{}) (interface{}, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			return nil, err
		}
	}
	openSafeOs(l)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(script); err != nil {
		return nil, err
	}
	result := l.Get(-1)
	table, ok := result.(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("expect table output from Lua script, not %s", result.Type())
	}
	return fromLua(table), nil
}

// openSafeOs keeps only the clock functions of gopher-lua's os library, as Argo CD's safe os does: no
// execute, exit, getenv, remove, rename or tmpname.
func openSafeOs(l *lua.LState) {
	check(l.CallByParam(lua.P{Fn: l.NewFunction(lua.OpenOs), Protect: true}, lua.LString(lua.OsLibName)))
	full := l.GetGlobal(lua.OsLibName).(*lua.LTable)
	safe := l.NewTable()
	for _, name := range []string{"clock", "date", "difftime", "time"} {
		safe.RawSetString(name, full.RawGetString(name))
	}
	l.SetGlobal(lua.OsLibName, safe)
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int { l.Push(safe); return 1 })
}

func toLua(l *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []interface{}:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(toLua(l, item))
		}
		return arr
	case map[string]interface{}:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), toLua(l, item))
		}
		return tbl
	}
	return lua.LNil
}

// fromLua encodes like layeh.com/gopher-json, which Argo CD uses: a table with keys 1..n is an array, an
// empty table is an empty array, anything else an object with string keys.
func fromLua(value lua.LValue) interface{} {
	switch v := value.(type) {
	case lua.LBool:
		return bool(v)
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		return string(v)
	case *lua.LTable:
		if n := v.MaxN(); n > 0 || isEmpty(v) {
			arr := make([]interface{}, 0, n)
			for i := 1; i <= n; i++ {
				arr = append(arr, fromLua(v.RawGetInt(i)))
			}
			return arr
		}
		obj := map[string]interface{}{}
		v.ForEach(func(k, item lua.LValue) { obj[k.String()] = fromLua(item) })
		return obj
	}
	return nil
}

func isEmpty(t *lua.LTable) bool {
	key, _ := t.Next(lua.LNil)
	return key == lua.LNil
}
