//! `tipfit devices`: what cpal can see.

use crate::cli::DevicesArgs;
use crate::rig::device::list_devices;
use anyhow::Result;

pub fn run(a: DevicesArgs) -> Result<()> {
    let hosts = list_devices();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&hosts)?);
        return Ok(());
    }
    if hosts.iter().all(|h| h.devices.is_empty()) {
        println!(
            "no audio devices found (no sound card or sound server); the simulated rig still works"
        );
    }
    for h in &hosts {
        println!("host {}:", h.name);
        for d in &h.devices {
            let mut marks = Vec::new();
            if d.default_input {
                marks.push("default input");
            }
            if d.default_output {
                marks.push("default output");
            }
            let marks = if marks.is_empty() {
                String::new()
            } else {
                format!("  [{}]", marks.join(", "))
            };
            println!("  {:>2}: {}{marks}", d.index, d.name);
            for c in &d.inputs {
                println!("        in:  {c}");
            }
            for c in &d.outputs {
                println!("        out: {c}");
            }
        }
    }
    Ok(())
}
