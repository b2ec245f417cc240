"""`podquote mcp`: the index as an MCP server (Model Context Protocol), for AI assistants.

podquote.mcp.answers computes what each tool returns from a Collection; podquote.mcp.server declares the tools
on the official SDK (`mcp`, the optional extra podquote[mcp]). The command is podquote.cli.mcp_cmd.
"""
