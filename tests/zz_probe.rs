mod support;
use lovart::sandbox::Fault;
use support::{World, run};

#[test]
fn probe() {
    let world = World::sandbox();
    let raw = r#"{"code":0,"data":{"thread_id":"t","status":"done","items":[],"score":1.0,"tiny":1e-7,"big":12345678901234567890123,"e":1E+16,"neg":-0.0,"f":0.1,"dup":1,"other":true,"dup":2,"s":"\u00e9\ud83d\ude00","ctl":"\u001f"}}"#;
    world
        .server()
        .inject(Fault::new("GET", "/chat/result", 200).body(raw));
    let r = run(world.lovart().args(["result", "--thread-id", "t"]));
    println!("{}\n{}", r.stdout, r.stderr);
    world
        .server()
        .inject(Fault::new("GET", "/chat/status", 200).body(raw));
    let r = run(world.lovart().args(["status", "--thread-id", "t"]));
    println!("{}\n{}", r.stdout, r.stderr);
    world
        .server()
        .inject(Fault::new("POST", "/chat", 200).body(r#"{"code":0,"data":{"thread_id":"线程"}}"#));
    world.server().inject(
        Fault::new("POST", "/project/save", 200).body(r#"{"code":0,"data":{"project_id":"项目"}}"#),
    );
    let r = run(world.lovart().args(["send", "--prompt", "x"]));
    println!("{}\n{}", r.stdout, r.stderr);
    println!("{}", world.state_text().unwrap());
    world.server().inject(
        Fault::new("POST", "/mode/set", 200)
            .body(r#"{"code":0,"data":{"unlimited":true,"note":"无限"}}"#),
    );
    let r = run(world.lovart().args(["set-mode", "--unlimited"]));
    println!("{}\n{}", r.stdout, r.stderr);
    world.server().inject(
        Fault::new("POST", "/file/upload", 200)
            .body(r#"{"code":0,"data":{"url":"http://x/海报.png"}}"#),
    );
    std::fs::write(world.home.path().join("a"), b"x").unwrap();
    let r = run(world.lovart().args([
        "upload",
        "--file",
        world.home.path().join("a").to_str().unwrap(),
    ]));
    println!("{}\n{}", r.stdout, r.stderr);
    world
        .server()
        .inject(Fault::new("POST", "/mode/query", 200).body(r#"{"code":0,"data":{"x":1}}"#));
    let r = run(world.lovart().args(["query-mode"]));
    println!("{}\n{}", r.stdout, r.stderr);
    world
        .server()
        .inject(Fault::new("POST", "/artifact/upload", 200).body(r#"{"code":0,"data":"ok"}"#));
    let r = run(world
        .lovart()
        .args(["upload-artifact", "--project-id", "p", "--url", "u"]));
    println!("{}\n{}", r.stdout, r.stderr);
}
